/** The store's poller as a hook: state on every change, stopped on unmount or when `key` changes. */
import {useEffect, useState} from 'react';
import {startPoller, type PollState, type Poller} from '../store/poller.js';

const initial = {data: undefined, error: undefined, stale: false, updatedAt: undefined, loading: true};

export function usePoll<T>(fetch: () => Promise<T>, intervalMs: number, key: string): PollState<T> & {refresh(): Promise<void>} {
	const [state, setState] = useState<PollState<T>>(initial);
	const [poller, setPoller] = useState<Poller<T> | undefined>(undefined);
	useEffect(() => {
		setState(initial);
		const started = startPoller(fetch, intervalMs);
		const unsubscribe = started.subscribe(() => setState(started.state()));
		setPoller(started);
		return () => {
			unsubscribe();
			started.stop();
		};
		// `fetch` is re-created each render; `key` says when it means something else.
		// eslint-disable-next-line react-hooks/exhaustive-deps
	}, [key, intervalMs]);
	return {...state, refresh: async () => poller?.refresh()};
}
