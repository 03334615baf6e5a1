/**
 * The last value again when a new one has the same data (common/same.ts): a refresh that brought
 * nothing new keeps the same rows, so what is memoized on them is not computed again and the
 * table's React tree is left alone.
 */
import {useRef} from 'react';
import {sameData} from '../common/same.js';

export function useStable<T>(value: T): T {
	const last = useRef(value);
	if (!sameData(last.current, value)) last.current = value;
	return last.current;
}
