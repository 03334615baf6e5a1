/**
 * The store's poller as a hook: state on every change, stopped on unmount or
 * when `key` changes. While the console is frozen (Z) nothing polls and the
 * last data stays on screen; ^R still reads once.
 */
import {createContext, useContext, useEffect, useRef, useState} from 'react';
import {startPoller, type PollState, type Poller} from '../store/poller.js';

const initial = {data: undefined, error: undefined, stale: false, updatedAt: undefined, loading: true};

/** True while updates are frozen (the app provides it). */
export const FrozenContext = createContext(false);

export function usePoll<T>(fetch: () => Promise<T>, intervalMs: number, key: string): PollState<T> & {refresh(): Promise<void>} {
	const frozen = useContext(FrozenContext);
	const [state, setState] = useState<PollState<T>>(initial);
	const [poller, setPoller] = useState<Poller<T> | undefined>(undefined);
	const latestFetch = useRef(fetch);
	latestFetch.current = fetch;
	const shownKey = useRef(key);
	useEffect(() => {
		// Another thing to show: start from nothing. Unfrozen: the frozen data stays until new data comes.
		if (shownKey.current !== key) setState(initial);
		shownKey.current = key;
		if (frozen) {
			setPoller({state: () => initial, subscribe: () => () => undefined, stop: () => undefined, refresh: async () => {
				try {
					setState({data: await latestFetch.current(), error: undefined, stale: false, updatedAt: Date.now(), loading: false});
				} catch (error) {
					setState(current => ({...current, error: error instanceof Error ? error.message : String(error), stale: current.data !== undefined}));
				}
			}});
			return undefined;
		}
		const started = startPoller(async () => latestFetch.current(), intervalMs);
		const unsubscribe = started.subscribe(() => setState(started.state()));
		setPoller(started);
		return () => {
			unsubscribe();
			started.stop();
		};
	}, [key, intervalMs, frozen]);
	return {...state, refresh: async () => poller?.refresh()};
}
