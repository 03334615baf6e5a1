/**
 * The worker's fetch loop: one slot per unit of --concurrency, each fetching
 * and running one job at a time. A free slot takes the first queue, in
 * priority order, that has a job — which BullMQ, with one Worker per queue,
 * cannot promise. When every queue is empty, one slot (the blocker) waits in
 * BullMQ's blocking fetch on the first queue, for at most --sleep (the
 * Worker's drainDelay); the other idle slots sleep until it returns, so an
 * idle worker holds one blocking command, not one per slot.
 */
import type {Job} from 'bullmq';
import {errorFields, type Logger} from './logger.js';
import {Active, type Next, type Plan} from './worker-plans.js';

export type FetchLoopOptions = {
	/** The queues' plans, in priority order (the first one's worker does the blocking fetch). */
	plans: readonly Plan[];
	concurrency: number;
	/** Lock tokens are `<workerId>:<n>`. */
	workerId: string;
	/** Aborted when the worker stops: no slot fetches or starts a job after that. */
	stopping: AbortSignal;
	log: Logger;
	/** Runs a job to its end; resolves with the job BullMQ handed over on completion, if any. Must not reject. */
	run(entry: Active): Promise<Next | undefined>;
	/** A job is about to run (it is in `running()` already). */
	started(entry: Active): void;
	/** A job has ended (it is no longer in `running()`). */
	ended(entry: Active): void;
};

/** Waits `ms`, or less if the signal aborts (and leaves no listener behind). */
export const pause = async (ms: number, signal?: AbortSignal): Promise<void> =>
	new Promise(resolve => {
		const done = () => {
			clearTimeout(timer);
			signal?.removeEventListener('abort', done);
			resolve();
		};
		const timer = setTimeout(done, ms);
		signal?.addEventListener('abort', done, {once: true});
	});

/** Resolves with the promise's value, or undefined as soon as the signal aborts. */
export async function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
	if (signal.aborted) return undefined;
	let onAbort = () => {};
	const aborted = new Promise<undefined>(resolve => {
		onAbort = () => resolve(undefined);
		signal.addEventListener('abort', onAbort, {once: true});
	});
	try {
		return await Promise.race([promise, aborted]);
	} finally {
		signal.removeEventListener('abort', onAbort);
	}
}

/** A job fetched just as the worker stopped or paused goes back to its queue rather than stall. */
const giveBack = (next: Next | undefined): void => {
	if (next) void next.job.moveToWait(next.token).catch(() => undefined);
};

export class FetchLoop {
	readonly #options: FetchLoopOptions;
	readonly #stopping: AbortSignal;
	/** The job each slot is running (a slot runs one at a time). */
	readonly #slots: Array<Active | undefined>;
	#paused = false;
	/** Whether a slot waits in the blocking fetch now. */
	#blocker = false;
	#sleepers: Array<() => void> = [];
	#tokens = 0;
	#errorDelay = 0;

	constructor(options: FetchLoopOptions) {
		this.#options = options;
		this.#stopping = options.stopping;
		this.#slots = Array.from({length: options.concurrency}, () => undefined);
		this.#stopping.addEventListener('abort', () => this.#wakeSleepers(), {once: true});
	}

	/** Starts the slots; resolves when all have ended, after `stopping` aborts (each finishes its job first). */
	async start(): Promise<void> {
		await Promise.all(this.#slots.map(async (_, index) => this.#slot(index)));
	}

	get paused(): boolean {
		return this.#paused;
	}

	/** Takes no new jobs (running ones finish) until `resume`. */
	pause(): void {
		if (!this.#stopping.aborted) this.#paused = true;
	}

	resume(): void {
		if (this.#stopping.aborted) return;
		this.#paused = false;
		this.#wakeSleepers();
	}

	running(): Active[] {
		return this.#slots.filter((entry): entry is Active => entry !== undefined);
	}

	async #slot(index: number): Promise<void> {
		while (!this.#stopping.aborted) {
			if (this.#paused) {
				await this.#asleep();
				continue;
			}
			let next: Next | undefined;
			try {
				next = await this.#findWork();
				this.#errorDelay = 0;
			} catch (error) {
				this.#errorDelay = Math.min(Math.max(this.#errorDelay * 2, 250), 5000);
				this.#options.log.warn({...errorFields(error), retryInMs: this.#errorDelay}, 'fetching jobs failed');
				await pause(this.#errorDelay, this.#stopping);
				continue;
			}
			while (next) {
				if (this.#stopping.aborted || this.#paused) {
					// Fetched just as we stopped or paused: give it back rather than let it stall.
					giveBack(next);
					break;
				}
				const entry = new Active(next.job, next.plan, next.token);
				this.#slots[index] = entry;
				this.#options.started(entry);
				next = await this.#options.run(entry);
				this.#slots[index] = undefined;
				this.#options.ended(entry);
			}
		}
	}

	/** A job from the first queue that has one; else, for one slot, the blocking fetch. */
	async #findWork(): Promise<Next | undefined> {
		const fetching = this.#fetchAny();
		// A fetch waits for ever while Redis is down (BullMQ's connections
		// retry): a stop must not wait for it.
		const next = await untilAborted(fetching, this.#stopping);
		if (this.#stopping.aborted) {
			void fetching.then(giveBack).catch(() => undefined);
			giveBack(next);
			return undefined;
		}
		if (next) return next;
		if (this.#blocker) {
			await this.#asleep();
			return undefined;
		}
		this.#blocker = true;
		try {
			return await this.#blockingFetch();
		} finally {
			this.#blocker = false;
			this.#wakeSleepers();
		}
	}

	/** One non-blocking pass over the queues in priority order. */
	async #fetchAny(): Promise<Next | undefined> {
		for (const plan of this.#options.plans) {
			const token = this.#newToken();
			const job = await plan.worker.getNextJob(token, {block: false});
			if (job) return {job, plan, token};
		}
		return undefined;
	}

	/** BullMQ's blocking fetch on the first queue (it returns after --sleep with nothing). */
	async #blockingFetch(): Promise<Next | undefined> {
		const top = this.#options.plans[0]!;
		const started = Date.now();
		const token = this.#newToken();
		const found = (job: Job | undefined): Next | undefined => (job ? {job, plan: top, token} : undefined);
		const blocking = top.worker.getNextJob(token, {block: true});
		const job = await untilAborted(blocking, this.#stopping);
		if (this.#stopping.aborted) {
			void blocking.then(late => giveBack(found(late))).catch(() => undefined);
			giveBack(found(job));
			return undefined;
		}
		// BullMQ returns at once while a queue is rate-limited: don't spin.
		if (!job && Date.now() - started < 100) await pause(200, this.#stopping);
		return found(job);
	}

	#newToken(): string {
		return `${this.#options.workerId}:${++this.#tokens}`;
	}

	async #asleep(): Promise<void> {
		return new Promise<void>(resolve => this.#sleepers.push(resolve));
	}

	#wakeSleepers(): void {
		const waiting = this.#sleepers;
		this.#sleepers = [];
		for (const resolve of waiting) resolve();
	}
}
