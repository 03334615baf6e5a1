/**
 * Keeps the locks of the jobs this worker runs. The worker fetches jobs by
 * hand (getNextJob), and BullMQ renews locks only for jobs its own run loop
 * processes; a lock left to expire lets the stalled-job check give a running
 * job to another worker.
 *
 * Shaped like BullMQ's own LockManager, which BullMQ pulled out of its Worker
 * behind a small interface (LockManagerWorkerContext): the renewer needs from
 * a queue only `extendJobLocks`, BullMQ 6.7's public batch call (one script
 * for all of a queue's running jobs, instead of one extendLock per job), and
 * like LockManager it waits for one renewal to answer before timing the next,
 * so a Redis that does not answer does not pile up calls. Unlike LockManager
 * it keeps no list of its own (trackJob/untrackJob on every job): it reads
 * the running jobs from the fetch loop's slots, which already know them, and
 * the hot path stays free of lock bookkeeping.
 */
import {errorFields, type Logger} from './logger.js';

/** What the renewer needs of a queue: BullMQ's Worker is one. Resolves with the ids whose lock was not ours any more. */
export type LockTarget = {
	extendJobLocks(jobIds: string[], tokens: string[], duration: number): Promise<string[]>;
};

/** A running job as the renewer sees it (the worker's Active is one). */
export type LockedJob = {
	readonly job: {readonly id?: string | undefined};
	readonly token: string;
	readonly plan: {readonly queue: string; readonly worker: LockTarget};
};

export type LockRenewerOptions = {
	/** How long each renewal extends a lock (the worker's --lock-duration). */
	durationMs: number;
	/** Time between renewals; by default half the lock duration (at least 500 ms), as before the split. */
	everyMs?: number;
};

type Batch = {queue: string; target: LockTarget; ids: string[]; tokens: string[]};

export class LockRenewer {
	readonly #jobs: () => Iterable<LockedJob>;
	readonly #durationMs: number;
	readonly #everyMs: number;
	readonly #log: Logger;
	#timer: NodeJS.Timeout | undefined;
	#closed = false;

	constructor(jobs: () => Iterable<LockedJob>, options: LockRenewerOptions, log: Logger) {
		this.#jobs = jobs;
		this.#durationMs = options.durationMs;
		this.#everyMs = options.everyMs ?? Math.max(500, Math.floor(options.durationMs / 2));
		this.#log = log;
	}

	/** Renews every `everyMs` until `close`. */
	start(): void {
		if (this.#closed || this.#timer) return;
		this.#schedule();
	}

	close(): void {
		this.#closed = true;
		clearTimeout(this.#timer);
		this.#timer = undefined;
	}

	/** One renewal: a batch per queue, in parallel; never rejects. */
	async renew(): Promise<void> {
		const batches = new Map<LockTarget, Batch>();
		for (const entry of this.#jobs()) {
			const id = entry.job.id;
			if (id === undefined) continue;
			const {worker: target, queue} = entry.plan;
			let batch = batches.get(target);
			if (!batch) {
				batch = {queue, target, ids: [], tokens: []};
				batches.set(target, batch);
			}
			batch.ids.push(id);
			batch.tokens.push(entry.token);
		}
		await Promise.all([...batches.values()].map(async batch => this.#extend(batch)));
	}

	#schedule(): void {
		this.#timer = setTimeout(() => {
			void this.renew().then(() => {
				if (!this.#closed) this.#schedule();
			});
		}, this.#everyMs);
		this.#timer.unref();
	}

	async #extend({queue, target, ids, tokens}: Batch): Promise<void> {
		try {
			const lost = await target.extendJobLocks(ids, tokens, this.#durationMs);
			// Usually a job that finished while its renewal was on the way (its
			// lock goes with it): not worth a warning at every renewal of a busy worker.
			if (lost.length > 0) this.#log.debug({queue, jobIds: lost}, 'lock not renewed: the job is no longer locked by this worker');
		} catch (error) {
			for (const jobId of ids) this.#log.warn({queue, jobId, ...errorFields(error)}, 'lock renewal failed');
		}
	}
}
