/**
 * The one way a long-running process takes SIGTERM, SIGINT (and SIGHUP):
 * a handler for the signals asked for, told which signal came and how many
 * have come so far (a first Ctrl-C stops gracefully, a second one hurries),
 * and a dispose() that removes exactly the listeners it added, after which
 * each signal has Node's default effect again (the process ends by it).
 */
import type {EventEmitter} from 'node:events';

export type HandledSignal = 'SIGTERM' | 'SIGINT' | 'SIGHUP';

export type SignalOptions = {
	/** The signals taken (default SIGTERM and SIGINT). */
	signals?: readonly HandledSignal[];
	/**
	 * Take each signal once: from its second time on it has its default
	 * effect again (a second Ctrl-C ends the process at once), while the
	 * signals that have not come yet are still taken.
	 */
	once?: boolean;
	/** Where the signals arrive: the process, or a plain emitter in a caller's unit tests. */
	source?: Pick<EventEmitter, 'on' | 'off'>;
};

/** Calls `handler(signal, count)` for each signal taken (count: 1 for the first of them, 2 for the next…); returns dispose(). */
export function onSignals(handler: (signal: HandledSignal, count: number) => void, options: SignalOptions = {}): () => void {
	const {signals = ['SIGTERM', 'SIGINT'], once = false, source = process} = options;
	const listeners = new Map<HandledSignal, () => void>();
	const release = (signal: HandledSignal) => {
		const listener = listeners.get(signal);
		if (!listener) return;
		source.off(signal, listener);
		listeners.delete(signal);
	};
	let count = 0;
	for (const signal of new Set(signals)) {
		const listener = () => {
			if (once) release(signal);
			handler(signal, ++count);
		};
		listeners.set(signal, listener);
		source.on(signal, listener);
	}
	return () => {
		for (const signal of [...listeners.keys()]) release(signal);
	};
}
