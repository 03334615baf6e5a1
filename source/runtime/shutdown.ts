/**
 * How a worker stops. Whatever asks — SIGTERM/SIGINT, the supervisor gone,
 * `workers stop`, --max-time, --max-jobs, --memory — the worker stops taking
 * jobs at once and lets the running ones finish for --stop-timeout; past it,
 * it gives them back to their queue (no attempt counted), and fires their
 * ctx.signal. Then it leaves the registry and closes, every step bounded, so
 * the exit comes in time for systemd's TimeoutStopSec even when Redis is gone.
 */
import {onSignals} from '../util/signals.js';
import {EventEmitter, setMaxListeners} from 'node:events';
import type {Logger} from './logger.js';
import {whenSupervisorGone} from './supervised.js';
import {atMost} from '../util/bounded.js';

export type ShutdownOptions = {
	/** Seconds before the worker finishes its jobs and exits 0 (0 = never). */
	maxTime: number;
	maxJobs?: number;
	/** MB of RSS above which the worker finishes its jobs and exits 0. */
	memory?: number;
	/** How long a stop waits for active jobs before giving them back (ms). */
	stopTimeoutMs: number;
	/** Where SIGTERM and SIGINT arrive (the process; a plain emitter in tests). */
	signals?: EventEmitter;
	/** The process's RSS in bytes (tests replace it). */
	rss?: () => number;
};

/** A running job as the shutdown sees it (the worker's Active is one). */
export type Leftover = {
	readonly name: string;
	readonly token: string;
	readonly job: {moveToWait(token?: string): Promise<unknown>};
	abandoned: boolean;
	abort(reason: Error): void;
};

export class Shutdown {
	reason = '';
	exitCode = 0;
	readonly #controller = new AbortController();
	readonly #log: Logger;
	readonly #options: ShutdownOptions;
	readonly #signals: EventEmitter;
	/** Lets go of the signals (util/signals.ts); a no-op until listen(). */
	#unlisten: () => void = () => {};
	#maxTimer: NodeJS.Timeout | undefined;
	/** Wakes the drain when a job ends (or the stop begins). */
	#wake: () => void = () => {};

	constructor(options: ShutdownOptions, log: Logger) {
		this.#options = options;
		this.#log = log;
		this.#signals = options.signals ?? process;
		// Every fetch slot waits on it (untilAborted): 50 slots are not a leak.
		setMaxListeners(0, this.#controller.signal);
	}

	/** Aborts when the worker starts stopping. */
	get signal(): AbortSignal {
		return this.#controller.signal;
	}

	get stopping(): boolean {
		return this.#controller.signal.aborted;
	}

	/** Stops taking jobs; the first reason is the one logged and kept. */
	stop(reason: string, code = 0): void {
		if (this.stopping) return;
		this.reason = reason;
		this.exitCode = code;
		this.#log.info({reason}, 'stopping: finishing active jobs, taking no new ones');
		this.#controller.abort();
		this.#wake();
	}

	/** SIGTERM, SIGINT and the local supervisor's end stop the worker (from the very start: also while it waits for Redis). */
	listen(): void {
		// Repeats are counted by the helper but change nothing here: the stop timeout bounds the drain.
		this.#unlisten = onSignals(signal => this.stop(signal), {source: this.#signals});
		const unwatch = whenSupervisorGone(() => this.stop('the supervisor is gone'));
		this.signal.addEventListener('abort', unwatch, {once: true});
	}

	/** Starts the --max-time clock (once the worker runs). */
	startClock(): void {
		const {maxTime} = this.#options;
		if (maxTime <= 0) return;
		this.#maxTimer = setTimeout(() => this.stop(`max-time ${maxTime}s reached`), maxTime * 1000);
		this.#maxTimer.unref();
	}

	/** After each job: --max-jobs and --memory, and a drain waiting for the last job. */
	jobEnded(finished: number): void {
		const {maxJobs, memory} = this.#options;
		if (maxJobs && finished >= maxJobs) this.stop(`max-jobs ${maxJobs} reached`);
		if (memory !== undefined) {
			const rssMb = (this.#options.rss ?? process.memoryUsage.rss)() / 1024 / 1024;
			if (rssMb > memory) this.stop(`memory ${Math.round(rssMb)} MB over the ${memory} MB limit`);
		}
		this.#wake();
	}

	/** Resolves once the worker starts stopping. */
	async untilStopped(): Promise<void> {
		if (this.stopping) return;
		return new Promise(resolve => this.signal.addEventListener('abort', () => resolve(), {once: true}));
	}

	/**
	 * Waits for the running jobs up to the stop timeout, then gives the rest
	 * back to their queue (no attempt counted) so another worker takes them
	 * now; if Redis cannot be told, BullMQ's stalled check will.
	 */
	async drain(running: () => Leftover[]): Promise<void> {
		const deadline = Date.now() + this.#options.stopTimeoutMs;
		while (running().length > 0 && Date.now() < deadline) {
			await new Promise<void>(resolve => {
				this.#wake = resolve;
				setTimeout(resolve, Math.max(0, deadline - Date.now())).unref();
			});
		}
		this.#wake = () => {};
		const left = running();
		if (left.length === 0) return;
		for (const entry of left) entry.abandoned = true;
		this.#log.warn({jobIds: left.map(entry => entry.name)}, 'stop deadline passed; returning active jobs to the queue (else the stalled-job check recovers them)');
		await atMost(Promise.all(left.map(async entry => entry.job.moveToWait(entry.token).catch(() => undefined))), 2000);
		for (const entry of left) entry.abort(new Error('worker shutting down'));
	}

	/** Lets go of the process: signal handlers and the max-time clock. */
	release(): void {
		clearTimeout(this.#maxTimer);
		this.#unlisten();
	}
}

/**
 * The last steps, in order, bounded as a whole: BullMQ's close() has no
 * timeout of its own (taskforcesh/bullmq#2430), and a step that throws ends
 * the sequence — the process is exiting anyway.
 */
export async function closeWithin(ms: number, steps: ReadonlyArray<() => Promise<unknown> | void>): Promise<void> {
	await atMost((async () => {
		for (const step of steps) await step();
	})(), ms);
}
