/**
 * The last value again when a new one holds the same data (Node's isDeepStrictEqual): a refresh
 * that brought nothing new keeps the same rows, so what is memoized on them is not computed again
 * and the table's React tree is left alone.
 */
import {isDeepStrictEqual} from 'node:util';
import {useRef} from 'react';

export function useStable<T>(value: T): T {
	const last = useRef(value);
	if (!isDeepStrictEqual(last.current, value)) last.current = value;
	return last.current;
}
