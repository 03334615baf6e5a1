/**
 * Lines or events that arrive one call at a time (a followed log, the event
 * stream) kept in a bounded buffer and drawn in batches every 40 ms, not one
 * frame per line. A stream runs while `active`, and again when `restart`
 * changes; it stops (its signal aborts) when it ends, when `active` goes
 * false, and when the view goes away. `clearOnStart`: a new run replaces the
 * lines (a log re-read from its tail) rather than appending to them.
 */
import {useEffect, useState} from 'react';

export type StreamOutcome = {state: 'connecting'} | {state: 'live'} | {state: 'done'} | {state: 'failed'; error: string};

/** Opens the stream: `add` each entry, `ready` once nothing can be missed any more; resolves when it ends. */
export type OpenStream<E> = (add: (entry: E) => void, signal: AbortSignal, ready: () => void) => Promise<void>;

const FLUSH_MS = 40;

export function useStream<E>(open: OpenStream<E>, options: {keep: number; active: boolean; restart: number; clearOnStart: boolean}): {entries: E[]; outcome: StreamOutcome} {
	const {keep, active, restart, clearOnStart} = options;
	const [entries, setEntries] = useState<E[]>([]);
	const [outcome, setOutcome] = useState<StreamOutcome>({state: 'connecting'});
	useEffect(() => {
		if (!active) return undefined;
		const abort = new AbortController();
		let pending: E[] = [];
		let timer: NodeJS.Timeout | undefined;
		const flush = () => {
			clearTimeout(timer);
			timer = undefined;
			const batch = pending;
			pending = [];
			if (batch.length > 0) setEntries(previous => [...previous, ...batch].slice(-keep));
		};
		if (clearOnStart) setEntries([]);
		setOutcome({state: 'connecting'});
		const add = (entry: E) => {
			if (abort.signal.aborted) return;
			pending.push(entry);
			if (pending.length > 2 * keep) pending = pending.slice(-keep);
			timer ??= setTimeout(flush, FLUSH_MS);
		};
		const ready = () => {
			if (!abort.signal.aborted) setOutcome({state: 'live'});
		};
		open(add, abort.signal, ready).then(
			() => {
				if (abort.signal.aborted) return;
				flush();
				setOutcome({state: 'done'});
			},
			(error: unknown) => {
				if (abort.signal.aborted) return;
				flush();
				setOutcome({state: 'failed', error: error instanceof Error ? error.message : String(error)});
			},
		);
		return () => {
			abort.abort();
			clearTimeout(timer);
		};
		// `open` is re-created each render; `active` and `restart` say when a new run starts.
		// eslint-disable-next-line react-hooks/exhaustive-deps
	}, [active, restart]);
	return {entries, outcome};
}
