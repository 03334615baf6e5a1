/**
 * The last hour per minute of the queues on screen, for the queues view's
 * rate, sparkline and failures: its own slow poll (every 15 s, or at once
 * when other queues scroll into view), so the 2 s refresh of the counts keeps
 * its one round trip. Series already read stay until replaced: scrolling
 * does not blank them. Frozen (Z): nothing is read.
 */
import {useContext, useEffect, useRef, useState} from 'react';
import type {MinuteSeries} from '../common/types.js';
import type {ConsoleApi} from '../store/console-api.js';
import {FrozenContext} from './use-poll.js';

const EVERY_MS = 15_000;
const MINUTES = 60;

export function useQueueSeries(api: ConsoleApi, names: readonly string[]): ReadonlyMap<string, MinuteSeries> {
	const frozen = useContext(FrozenContext);
	const [series, setSeries] = useState<ReadonlyMap<string, MinuteSeries>>(new Map());
	const wanted = names.join('\n');
	const latest = useRef(names);
	latest.current = names;
	useEffect(() => {
		if (frozen || wanted === '') return undefined;
		let stopped = false;
		const read = async () => {
			try {
				const read = await api.minuteSeries(latest.current, MINUTES);
				if (!stopped) setSeries(current => new Map([...current, ...read.map(entry => [entry.queue, entry] as const)]));
			} catch {
				// The counts' poll says when Redis is unwell; the sparklines keep what they had.
			}
		};
		void read();
		const timer = setInterval(() => void read(), EVERY_MS);
		return () => {
			stopped = true;
			clearInterval(timer);
		};
	}, [api, wanted, frozen]);
	return series;
}
