/**
 * The one place the worker reaches past BullMQ's public API.
 *
 * A job of the first queue finishes with moveToCompleted(…, fetchNext = true):
 * BullMQ's completion script hands back the next job in the same round trip,
 * which is most of the worker's throughput (one script per job instead of
 * two). BullMQ 6.7 turns that reply into a Job only inside its Worker, with
 * two non-public methods: `updateDelays` (private: records the rate-limit and
 * delay hints of the reply, which the next getNextJob obeys) and
 * `nextJobFromJobData` (protected: builds the Job, sets its token, schedules a
 * Job Scheduler's next run, emits "active"). Building the Job with the public
 * Job.fromJSON instead would skip the scheduler step, and scheduled jobs
 * would stop repeating. Everything else the worker does with BullMQ is public
 * (getNextJob, moveToCompleted/moveToFailed/moveToWait, extendJobLocks).
 *
 * `assertBullmqInternals` runs when a worker starts: a BullMQ without these
 * methods stops the worker at once with a message naming both versions,
 * rather than failing the first job that completes. The test pinned to the
 * installed version (test/runtime/bullmq-adapter.test.ts) catches an upgrade
 * before that.
 */
import {createRequire} from 'node:module';
import {Worker, type Job} from 'bullmq';

/** The BullMQ release this adapter was written and checked against. */
export const PINNED_BULLMQ_VERSION = '6.7.0';

/** The installed BullMQ's version, from its package.json. */
export function installedBullmqVersion(): string {
	return (createRequire(import.meta.url)('bullmq/package.json') as {version: string}).version;
}

/** BullMQ 6.7's Worker internals used here, with the signatures of worker.d.ts. */
type Internals = {
	updateDelays(limitDelay?: number, delayUntil?: number): void;
	nextJobFromJobData(jobData?: unknown, jobId?: unknown, token?: string): Promise<Job | undefined>;
};

const NEEDED: ReadonlyArray<keyof Internals> = ['updateDelays', 'nextJobFromJobData'];

/** The internals a Worker prototype lacks (none: an empty list). */
export function missingInternals(prototype: object = Worker.prototype): string[] {
	return NEEDED.filter(name => typeof (prototype as Record<string, unknown>)[name] !== 'function');
}

/** Throws, naming the installed and the pinned BullMQ, unless the Worker has what `handOver` needs. */
export function assertBullmqInternals(prototype: object = Worker.prototype, version = installedBullmqVersion()): void {
	const missing = missingInternals(prototype);
	if (missing.length === 0) return;
	throw new Error(
		`bullmq ${version} is installed, but the worker was written for bullmq ${PINNED_BULLMQ_VERSION}: its Worker has no ${missing.map(name => `${name}()`).join(' and no ')} `
			+ `(source/runtime/bullmq-adapter.ts); install bullmq ${PINNED_BULLMQ_VERSION} (npm ci) or adapt the worker to this release`,
	);
}

/**
 * The job a completion script fetched (moveToCompleted's reply: job data, id,
 * rate-limit delay, delay-until), turned into a Job as Worker.handleCompleted
 * does; undefined when the queue had none.
 */
export async function handOver(worker: Worker, reply: unknown[], token: string): Promise<Job | undefined> {
	const internals = worker as unknown as Internals;
	internals.updateDelays(Number(reply[2] ?? 0), Number(reply[3] ?? 0));
	return internals.nextJobFromJobData(reply[0], reply[1], token);
}
