/**
 * A poller for the console (docs/ARCHITECTURE.md, "A refresh, end to end"; after k9s): ticks never overlap
 * (a tick that would start while one runs is dropped), errors back off
 * (doubling up to 30 s) while the last good data stays on screen marked
 * stale, and `refresh()` asks for a tick now, after an action.
 */

export type PollState<T> = {
	data: T | undefined;
	/** The last error, one line, when the last tick failed. */
	error: string | undefined;
	/** The data shown is older than the last attempt (the last tick failed). */
	stale: boolean;
	/** When the data shown was fetched (ms). */
	updatedAt: number | undefined;
	/** The first load is running (nothing to show yet). */
	loading: boolean;
};

export type Poller<T> = {
	state(): PollState<T>;
	/** Calls `listener` on every change; returns the unsubscribe function. */
	subscribe(listener: () => void): () => void;
	/** A tick now (or right after the running one). */
	/** Polls now (or right after the poll in flight); resolves once that poll has settled. */
	refresh(): Promise<void>;
	stop(): void;
};

const MAX_BACKOFF_MS = 30_000;

/** Starts polling `fetch` every `intervalMs`; the first tick runs at once. */
export function startPoller<T>(fetch: () => Promise<T>, intervalMs: number, describeError: (error: unknown) => string = error => (error instanceof Error ? error.message : String(error))): Poller<T> {
	let current: PollState<T> = {data: undefined, error: undefined, stale: false, updatedAt: undefined, loading: false};
	const listeners = new Set<() => void>();
	let timer: NodeJS.Timeout | undefined;
	let running = false;
	let again = false;
	let stopped = false;
	let failures = 0;
	// refresh() callers, served by the next poll that starts after they asked.
	let waiting: Array<() => void> = [];

	const set = (next: Partial<PollState<T>>) => {
		current = {...current, ...next};
		for (const listener of listeners) listener();
	};
	const schedule = (ms: number) => {
		if (stopped) return;
		clearTimeout(timer);
		timer = setTimeout(() => void tick(), ms);
		timer.unref?.();
	};
	const tick = async () => {
		if (stopped) return;
		if (running) {
			again = true;
			return;
		}
		running = true;
		const served = waiting;
		waiting = [];
		// Only the first load is shown as loading: a refresh under data on screen needs no extra render.
		if (current.data === undefined) set({loading: true});
		try {
			const data = await fetch();
			failures = 0;
			if (!stopped) set({data, error: undefined, stale: false, updatedAt: Date.now(), loading: false});
		} catch (error) {
			failures++;
			if (!stopped) set({error: describeError(error), stale: current.data !== undefined, loading: false});
		} finally {
			running = false;
			for (const resolve of served) resolve();
		}
		if (again) {
			again = false;
			schedule(0);
		} else schedule(failures === 0 ? intervalMs : Math.min(intervalMs * 2 ** failures, MAX_BACKOFF_MS));
	};
	schedule(0);
	return {
		state: () => current,
		subscribe(listener) {
			listeners.add(listener);
			return () => listeners.delete(listener);
		},
		async refresh() {
			if (stopped) return;
			const settled = new Promise<void>(resolve => waiting.push(resolve));
			if (running) again = true;
			else schedule(0);
			return settled;
		},
		stop() {
			stopped = true;
			clearTimeout(timer);
			listeners.clear();
			for (const resolve of waiting.splice(0)) resolve();
		},
	};
}
