/**
 * Failed jobs made the way ANOTHER BullMQ application makes them, fast:
 * real `Queue.addBulk` (and `FlowProducer.addBulk` for jobs with a parent),
 * in chunks, with `attempts: 1`, then real BullMQ Workers whose processor
 * throws. Every job goes through BullMQ's own moveToActive / moveToFinished
 * scripts, so the failed set, the job hashes (failedReason, stacktrace, atm,
 * ats, processedOn, finishedOn), the events stream, the priority counter and
 * the parent's bookkeeping are exactly what production code leaves behind;
 * nothing is written by hand.
 *
 * Why a Worker and not a raw HSET/ZADD layout or a getNextJob/moveToFailed
 * loop: one Worker at concurrency 100 fails ~6,000 jobs/s on a 2-CPU
 * machine (50,000 in 8-10 s, adding included), which is fast enough, and it
 * is the only way that cannot drift from what BullMQ really writes. More
 * Workers in the same process do not help: the test process's CPU is the
 * limit, not Redis (measured: 1 Worker 8-10 s, 2 Workers 9 s, 4 Workers 15 s
 * for 50,000).
 *
 * The wait is on the condition itself — BullMQ's own getFailedCount()
 * reaching the expected number — woken by the Workers' `failed` events and
 * bounded by a deadline; never a sleep.
 */
import {randomUUID} from 'node:crypto';
import type {TestContext} from 'node:test';
import {FlowProducer, Queue, Worker, type JobsOptions} from 'bullmq';
import {Redis} from 'ioredis';
import {runCli, type CliOptions, type CliResult} from './cli.js';
import {deletePrefix} from './keyspace.js';

export type FailedJobsSpec = {
	/** Redis URL (a single server). */
	url: string;
	prefix: string;
	queue: string;
	/** How many failed jobs to make. */
	count: number;
	/** Job name (default `loan.approved`). */
	name?: string | ((index: number) => string);
	/** Job data (default `{index, loanId: 1000 + index, member: "M-<index>"}`). */
	data?: (index: number) => unknown;
	/** What the processor throws (default `core banking timeout (job <index>)`). */
	reason?: (index: number) => string;
	/** Every k-th job (index % k === k - 1) is added with a priority. */
	priorityEvery?: number;
	/** The priority of those jobs (default 1 + index % 7). */
	priority?: (index: number) => number;
	/** Every k-th job (index % k === k - 1) is the child of a flow whose parent waits in `parentQueue`. */
	parentEvery?: number;
	/** The parents' queue (default `<queue>-parents`); no worker processes it. */
	parentQueue?: string;
	/** Options for the children (e.g. `{ignoreDependencyOnFailure: true}`, `{failParentOnFailure: true}`). */
	childOptions?: Pick<JobsOptions, 'failParentOnFailure' | 'ignoreDependencyOnFailure' | 'continueParentOnFailure' | 'removeDependencyOnFailure'>;
	/** Give each parent a second child in `parentQueue` that is never processed, so the parent stays in waiting-children. */
	pendingSibling?: boolean;
	/** Jobs per addBulk call (default 1000). */
	chunk?: number;
	/** Workers (default 1) and concurrency of each (default 100). */
	workers?: number;
	concurrency?: number;
	/** Deadline for the whole fill (default 120 s). */
	timeoutMs?: number;
};

export type FailedJob = {
	index: number;
	id: string;
	name: string;
	data: unknown;
	reason: string;
	/** Set for the jobs added with a priority. */
	priority?: number;
	/** Set for the children of a flow. */
	parent?: {queue: string; id: string; key: string};
	/** The never-processed sibling of a child, when pendingSibling. */
	sibling?: {queue: string; id: string};
};

export type FailedJobs = {
	prefix: string;
	queue: string;
	parentQueue: string;
	/** Every job, in creation order (index order). */
	jobs: FailedJob[];
	/** id → job. */
	byId: Map<string, FailedJob>;
	ms: number;
};

const defaultData = (index: number): unknown => ({index, loanId: 1000 + index, member: `M-${index}`});
const defaultReason = (index: number): string => `core banking timeout (job ${index})`;

/**
 * Makes `count` failed jobs in `queue` and closes everything it opened.
 * Resolves once BullMQ's getFailedCount() has grown by exactly `count`.
 */
export async function makeFailedJobs(spec: FailedJobsSpec): Promise<FailedJobs> {
	return makeFinishedJobs(spec, 'failed');
}

/**
 * The same, but the processor succeeds (returning `{ok: true, id}`): `count`
 * completed jobs, for `clean --state completed`.
 */
export async function makeCompletedJobs(spec: Omit<FailedJobsSpec, 'reason'>): Promise<FailedJobs> {
	return makeFinishedJobs(spec, 'completed');
}

async function makeFinishedJobs(spec: FailedJobsSpec, outcome: 'failed' | 'completed'): Promise<FailedJobs> {
	const started = performance.now();
	const {url, prefix, queue: queueName, count} = spec;
	const parentQueue = spec.parentQueue ?? `${queueName}-parents`;
	const chunk = spec.chunk ?? 1000;
	const nameOf = (index: number): string => (typeof spec.name === 'function' ? spec.name(index) : spec.name ?? 'loan.approved');
	const dataOf = spec.data ?? defaultData;
	const reasonOf = spec.reason ?? defaultReason;
	const priorityOf = spec.priority ?? ((index: number) => 1 + (index % 7));
	const every = (k: number | undefined, index: number): boolean => k !== undefined && k > 0 && index % k === k - 1;
	const deadline = Date.now() + (spec.timeoutMs ?? 120_000);

	const connection = new Redis(url, {maxRetriesPerRequest: null});
	const queue = new Queue(queueName, {connection, prefix});
	const flows = new FlowProducer({connection, prefix});
	const workers: Worker[] = [];
	const jobs: FailedJob[] = [];
	// The processor finds a job's reason by its data's index when the data has one, else by id.
	const reasonById = new Map<string, string>();
	try {
		const finishedCount = async (): Promise<number> => (outcome === 'failed' ? queue.getFailedCount() : queue.getCompletedCount());
		const failedBefore = await finishedCount();
		for (let start = 0; start < count; start += chunk) {
			const indexes = Array.from({length: Math.min(chunk, count - start)}, (_, offset) => start + offset);
			// Plain jobs and flows are added in index order, one addBulk per run of the same kind.
			let run: number[] = [];
			let runIsFlow = false;
			const flush = async () => {
				if (run.length === 0) return;
				if (runIsFlow) {
					const trees = await flows.addBulk(run.map(index => ({
						name: 'loan.batch',
						queueName: parentQueue,
						data: {batchOf: index},
						children: [
							{name: nameOf(index), queueName, data: dataOf(index), opts: {attempts: 1, ...spec.childOptions, ...(every(spec.priorityEvery, index) ? {priority: priorityOf(index)} : {})}},
							...(spec.pendingSibling ? [{name: 'loan.batch.part', queueName: parentQueue, data: {siblingOf: index}}] : []),
						],
					})));
					trees.forEach((tree, position) => {
						const index = run[position]!;
						const child = tree.children!.find(node => node.job.queueName === queueName)!.job;
						const sibling = tree.children!.find(node => node.job.queueName === parentQueue)?.job;
						jobs.push({
							index,
							id: child.id!,
							name: nameOf(index),
							data: dataOf(index),
							reason: reasonOf(index),
							...(every(spec.priorityEvery, index) ? {priority: priorityOf(index)} : {}),
							parent: {queue: parentQueue, id: tree.job.id!, key: `${prefix}:${parentQueue}:${tree.job.id!}`},
							...(sibling ? {sibling: {queue: parentQueue, id: sibling.id!}} : {}),
						});
					});
				} else {
					const added = await queue.addBulk(run.map(index => ({
						name: nameOf(index),
						data: dataOf(index),
						opts: {attempts: 1, ...(every(spec.priorityEvery, index) ? {priority: priorityOf(index)} : {})},
					})));
					added.forEach((job, position) => {
						const index = run[position]!;
						jobs.push({index, id: job.id!, name: nameOf(index), data: dataOf(index), reason: reasonOf(index), ...(every(spec.priorityEvery, index) ? {priority: priorityOf(index)} : {})});
					});
				}
				run = [];
			};
			for (const index of indexes) {
				const isFlow = every(spec.parentEvery, index);
				if (isFlow !== runIsFlow) await flush();
				runIsFlow = isFlow;
				run.push(index);
			}
			await flush();
		}
		for (const job of jobs) reasonById.set(job.id, job.reason);

		const target = failedBefore + count;
		let wake: (() => void) | undefined;
		const processor = async (job: {id?: string}) => {
			if (outcome === 'completed') return {ok: true, id: job.id};
			throw new Error(reasonById.get(job.id!) ?? 'failed on purpose');
		};
		const workerCount = Math.max(1, spec.workers ?? 1);
		for (let n = 0; n < workerCount; n++) {
			// Each Worker on its own connections (BullMQ duplicates a URL-built connection for blocking).
			const worker = new Worker(queueName, processor, {connection: {url}, prefix, concurrency: spec.concurrency ?? 100, autorun: true});
			worker.on(outcome, () => wake?.());
			worker.on('error', () => {/* a closing connection; the count below decides */});
			workers.push(worker);
		}
		for (;;) {
			const failed = await finishedCount();
			if (failed === target) break;
			if (failed > target) throw new Error(`makeFailedJobs: ${failed} ${outcome} jobs in ${queueName}, expected ${target}`);
			if (Date.now() > deadline) throw new Error(`makeFailedJobs: only ${failed - failedBefore}/${count} jobs of ${queueName} ${outcome} before the deadline`);
			// Woken by the next `failed`/`completed` event, or re-checked after 50 ms at most (a missed event cannot hang).
			await new Promise<void>(resolve => {
				const timer = setTimeout(resolve, 50);
				wake = () => {
					clearTimeout(timer);
					wake = undefined;
					resolve();
				};
			});
		}
		return {prefix, queue: queueName, parentQueue, jobs, byId: new Map(jobs.map(job => [job.id, job])), ms: performance.now() - started};
	} finally {
		await Promise.allSettled(workers.map(async worker => worker.close()));
		await Promise.allSettled([flows.close(), queue.close()]);
		await connection.quit().catch(() => connection.disconnect());
	}
}

/** Where each job id of a queue is, read straight from BullMQ's state keys. */
export type Placement = {waiting: string[]; prioritized: string[]; failed: string[]; delayed: string[]; completed: string[]; active: string[]};

/** Every id in each state of `queue` (LRANGE/ZRANGE of BullMQ's keys; for assertions on small and large queues alike). */
export async function placement(client: Redis, prefix: string, queue: string): Promise<Placement> {
	const key = (suffix: string) => `${prefix}:${queue}:${suffix}`;
	const [waiting, active, prioritized, failed, delayed, completed] = await Promise.all([
		client.lrange(key('wait'), 0, -1),
		client.lrange(key('active'), 0, -1),
		client.zrange(key('prioritized'), 0, -1),
		client.zrange(key('failed'), 0, -1),
		client.zrange(key('delayed'), 0, -1),
		client.zrange(key('completed'), 0, -1),
	]);
	return {waiting, prioritized, failed, delayed, completed, active};
}

/**
 * Moves the failure time of `ids` `agoMs` into the past: the failed set's
 * score and the job's finishedOn, the two fields BullMQ (and our --older-than)
 * read. The one hand edit in these helpers: a test cannot wait an hour.
 */
export async function ageFailures(client: Redis, prefix: string, queue: string, ids: readonly string[], agoMs: number): Promise<void> {
	const at = Date.now() - agoMs;
	const pipeline = client.pipeline();
	for (const id of ids) {
		pipeline.zadd(`${prefix}:${queue}:failed`, 'XX', at, id);
		pipeline.hset(`${prefix}:${queue}:${id}`, 'finishedOn', String(at));
	}
	for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
}

/** One test's world: a fresh prefix, a bookkeeping client, BullMQ's own view, the binary. */
export type Scope = {
	url: string;
	prefix: string;
	client: Redis;
	/** A BullMQ Queue for checks (skipMetasUpdate: opening it writes nothing). */
	queue(name: string): Queue;
	/** Runs `node bin/saccos-queue.js …args --redis URL --prefix P` (no shell, stdin not a TTY). */
	cli(args: readonly string[], options?: CliOptions): Promise<CliResult>;
	/** `audit --json` records, newest first. */
	audit(): Promise<Array<Record<string, unknown>>>;
};

/** A Scope under `test-<uuid>`, closed and deleted (SCAN + UNLINK) after the test. */
export function scope(t: TestContext, url: string): Scope {
	const prefix = `test-${randomUUID()}`;
	const client = new Redis(url, {maxRetriesPerRequest: null});
	const queues = new Map<string, Queue>();
	t.after(async () => {
		await Promise.allSettled([...queues.values()].map(async queue => queue.close()));
		await client.quit().catch(() => client.disconnect());
		await deletePrefix(url, prefix);
	});
	const cli = async (args: readonly string[], options?: CliOptions) => runCli([...args, '--redis', url, '--prefix', prefix], options);
	return {
		url,
		prefix,
		client,
		queue(name) {
			let queue = queues.get(name);
			if (!queue) {
				queue = new Queue(name, {connection: client, prefix, skipMetasUpdate: true});
				queues.set(name, queue);
			}
			return queue;
		},
		cli,
		async audit() {
			const result = await cli(['audit', '--json', '--limit', '1000']);
			if (result.code !== 0) throw new Error(`audit --json exited ${String(result.code)}: ${result.stdout}${result.stderr}`);
			return (JSON.parse(result.stdout) as {records: Array<Record<string, unknown>>}).records;
		},
	};
}
