/**
 * Plays ANOTHER BullMQ application writing to the queues: real Queue,
 * FlowProducer and Worker objects (no processors run: the Worker has
 * autorun false and jobs are placed with getNextJob + moveToCompleted /
 * moveToFailed), so that every state is populated deterministically:
 * waiting, active, delayed, prioritized, waiting-children, completed,
 * failed, a paused queue, a job with corrupt data, a job whose name carries
 * an escape sequence, a failure whose reason is a terminal attack, log lines,
 * and a queue the default configuration does not know.
 */
import {randomUUID} from 'node:crypto';
import {setImmediate as nextTick} from 'node:timers/promises';
import {FlowProducer, Queue, Worker, type Job, type JobsOptions} from 'bullmq';
import type {Cluster, Redis} from 'ioredis';
import {openClient, waitForClusterReady, type RedisTarget} from './keyspace.js';

export const STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed'] as const;
export type State = (typeof STATES)[number];

/** The seed's queues (configured by default) and one that only exists in Redis. */
export const SEED_QUEUES = ['high', 'default', 'emails', 'notifications'] as const;
export const EXTRA_QUEUE = 'reports-legacy';
export const PAUSED_QUEUE = 'high';
export const FILLED_QUEUES = [...SEED_QUEUES, EXTRA_QUEUE];

/** A failure message built to attack a terminal: clear screen, retitle, hyperlink, 8-bit CSI, bidi override, bare CR. */
export const EVIL_REASON = '\x1b[2J\x1b]0;pwned\x07\x1b]8;;http://evil\x07click\x1b]8;;\x07 \x9b31m \u202e gnp.exe\r';
/** A job name with an ESC sequence in it. */
export const EVIL_NAME = 'report\x1b[31m-red\x1b[0m';
/** What the corrupt job's data field is overwritten with. */
export const CORRUPT_DATA = '{not json';
/** Log lines added to the job with the evil reason (one is itself hostile). */
export const LOG_LINES = ['started generating the report', 'log with \x1b]52;c;ZXZpbA==\x07 clipboard write'];

type Ref = {queue: string; id: string};

export type FillResult = {
	prefix: string;
	/** Every queue filled, seed queues first. */
	queues: string[];
	extraQueue: string;
	pausedQueue: string;
	/** ids[queue][state]: the job ids placed in each state. */
	ids: Record<string, Record<State, string[]>>;
	/** The failed job whose data hash field is not JSON. */
	corrupt: Ref;
	/** A waiting job whose name contains ESC. */
	evilName: Ref & {name: string};
	/** The failed job with EVIL_REASON, a stack trace and LOG_LINES. */
	evilReason: Ref & {reason: string; logs: string[]};
	/** The active job (fetched, never finished), with one log line. */
	active: Ref & {logs: string[]};
	/** A completed job with a return value. */
	completed: Ref & {returnvalue: unknown};
	/** The flow: a parent in waiting-children and its waiting children. */
	flow: {parent: Ref; children: Ref[]};
	/** Every failed job, newest failure first (each failure in its own millisecond). */
	failedNewestFirst: Ref[];
};

const emptyStates = (): Record<State, string[]> => Object.fromEntries(STATES.map(state => [state, [] as string[]])) as Record<State, string[]>;

/** Waits until the clock has moved past `ms`, so the next failure gets its own timestamp. */
async function afterMillisecond(ms: number): Promise<void> {
	while (Date.now() <= ms) await nextTick();
}

/**
 * Fills `prefix` on `target` (a URL, or `{cluster: urls}` with a hash-tagged
 * prefix) and closes every BullMQ object and connection it opened.
 */
export async function fillLikeAnotherApp(target: RedisTarget, prefix: string): Promise<FillResult> {
	const connection = openClient(target);
	connection.on('error', () => {/* surfaced by the failing command */});
	if (typeof target !== 'string') await waitForClusterReady(connection as Cluster);
	const queues = new Map<string, Queue>();
	const workers = new Map<string, Worker>();
	const flows: FlowProducer[] = [];
	const ids: Record<string, Record<State, string[]>> = Object.fromEntries(FILLED_QUEUES.map(queue => [queue, emptyStates()]));
	const failedOrder: Ref[] = [];
	let lastFailure = 0;
	const token = `fill-${randomUUID()}`;

	const queueOf = (name: string): Queue => {
		let queue = queues.get(name);
		if (!queue) {
			queue = new Queue(name, {connection, prefix});
			queues.set(name, queue);
		}
		return queue;
	};
	const workerOf = (name: string): Worker => {
		let worker = workers.get(name);
		if (!worker) {
			// A long lock: the active job keeps its lock key for the whole test run.
			worker = new Worker(name, null, {connection, prefix, autorun: false, lockDuration: 3_600_000});
			workers.set(name, worker);
		}
		return worker;
	};

	/** Adds a job and takes it with getNextJob: it must be exactly that job. */
	const take = async (queueName: string, name: string, data: unknown, opts: JobsOptions = {}): Promise<Job> => {
		const added = await queueOf(queueName).add(name, data, opts);
		const job = await workerOf(queueName).getNextJob(token, {block: false});
		if (!job || job.id !== added.id) throw new Error(`fill: expected to fetch job ${String(added.id)} of ${queueName}, got ${String(job?.id)}`);
		return job;
	};
	const complete = async (queueName: string, name: string, data: unknown, returnvalue: unknown): Promise<Job> => {
		const job = await take(queueName, name, data);
		await job.moveToCompleted(returnvalue, token, false);
		ids[queueName]!.completed.push(job.id!);
		return job;
	};
	const fail = async (queueName: string, name: string, data: unknown, message: string, before?: (job: Job) => Promise<void>): Promise<Job> => {
		const job = await take(queueName, name, data);
		if (before) await before(job);
		await afterMillisecond(lastFailure);
		const error = new Error(message);
		await job.moveToFailed(error, token, false);
		const failed = await queueOf(queueName).getJob(job.id!);
		lastFailure = failed?.finishedOn ?? Date.now();
		ids[queueName]!.failed.push(job.id!);
		failedOrder.unshift({queue: queueName, id: job.id!});
		return job;
	};
	const add = async (queueName: string, state: 'waiting' | 'delayed' | 'prioritized', name: string, data: unknown, opts: JobsOptions = {}): Promise<Job> => {
		const job = await queueOf(queueName).add(name, data, opts);
		ids[queueName]![state].push(job.id!);
		return job;
	};
	const later = {delay: 3_600_000};

	try {
		// --- default: every state, the hostile and the broken jobs.
		const completed = await complete('default', 'reports:generate-daily', {day: '2024-05-01'}, {rows: 42, file: 'daily.pdf'});
		await complete('default', 'approval.processed', {approval: 7}, null);
		await fail('default', 'loan.approved', {loan: 1001}, 'SMTP connection refused');
		const evil = await fail('default', 'reports:generate-weekly', {week: 18}, EVIL_REASON, async job => {
			for (const line of LOG_LINES) await job.log(line);
		});
		const corrupt = await fail('default', 'member.statement', {member: 55}, 'statement template missing');
		const activeJob = await take('default', 'reports:generate-monthly', {month: 4});
		const activeLogs = ['processing month 4'];
		await activeJob.log(activeLogs[0]!);
		ids['default']!.active.push(activeJob.id!);
		const evilNamed = await add('default', 'waiting', EVIL_NAME, {note: 'hostile name'});
		await add('default', 'waiting', 'approval.processed', {approval: 8});
		await add('default', 'delayed', 'loan.reminder', {loan: 1002}, later);
		await add('default', 'delayed', 'loan.reminder', {loan: 1003}, {delay: 7_200_000});
		await add('default', 'prioritized', 'member.alert', {member: 1}, {priority: 1});
		await add('default', 'prioritized', 'member.alert', {member: 2}, {priority: 5});

		// --- high: a few finished jobs, then waiting ones in a paused queue.
		await complete('high', 'approval.processed', {approval: 9}, 'ok');
		await fail('high', 'loan.disburse', {loan: 2001}, 'core banking timeout');
		await add('high', 'waiting', 'loan.disburse', {loan: 2002});
		await add('high', 'waiting', 'loan.disburse', {loan: 2003});
		await queueOf('high').pause();

		// --- emails: failed, active, waiting, delayed.
		await fail('emails', 'mail.send', {to: 'member@example.org'}, 'mailbox full');
		const emailsActive = await take('emails', 'mail.send', {to: 'other@example.org'});
		ids['emails']!.active.push(emailsActive.id!);
		await add('emails', 'waiting', 'mail.send', {to: 'third@example.org'});
		await add('emails', 'delayed', 'mail.digest', {}, later);

		// --- notifications: a prioritized job, then (below) the flow's children.
		await add('notifications', 'prioritized', 'sms.send', {to: '+255700000000'}, {priority: 3});

		// --- reports-legacy: a queue only this other application knows about.
		await complete(EXTRA_QUEUE, 'legacy.export', {year: 2023}, {ok: true});
		await fail(EXTRA_QUEUE, 'legacy.export', {year: 2022}, 'archive not found');
		await add(EXTRA_QUEUE, 'waiting', 'legacy.export', {year: 2021});

		// --- a flow: parent in default waits for two children in notifications.
		const flow = new FlowProducer({connection, prefix});
		flows.push(flow);
		const tree = await flow.add({
			name: 'loan.batch',
			queueName: 'default',
			data: {batch: 1},
			children: [
				{name: 'sms.send', queueName: 'notifications', data: {to: 'a'}},
				{name: 'sms.send', queueName: 'notifications', data: {to: 'b'}},
			],
		});
		ids['default']!['waiting-children'].push(tree.job.id!);
		const children = (tree.children ?? []).map(child => ({queue: 'notifications', id: child.job.id!}));
		for (const child of children) ids['notifications']!.waiting.push(child.id);

		// --- corrupt the failed job's data behind BullMQ's back, as a buggy producer would.
		await (connection as Redis).hset(`${prefix}:default:${corrupt.id!}`, 'data', CORRUPT_DATA);

		return {
			prefix,
			queues: [...FILLED_QUEUES],
			extraQueue: EXTRA_QUEUE,
			pausedQueue: PAUSED_QUEUE,
			ids,
			corrupt: {queue: 'default', id: corrupt.id!},
			evilName: {queue: 'default', id: evilNamed.id!, name: EVIL_NAME},
			evilReason: {queue: 'default', id: evil.id!, reason: EVIL_REASON, logs: [...LOG_LINES]},
			active: {queue: 'default', id: activeJob.id!, logs: activeLogs},
			completed: {queue: 'default', id: completed.id!, returnvalue: {rows: 42, file: 'daily.pdf'}},
			flow: {parent: {queue: 'default', id: tree.job.id!}, children},
			failedNewestFirst: failedOrder,
		};
	} finally {
		await Promise.allSettled([...workers.values()].map(async worker => worker.close()));
		await Promise.allSettled([...flows.map(async flow => flow.close()), ...[...queues.values()].map(async queue => queue.close())]);
		await connection.quit().catch(() => connection.disconnect());
	}
}

/** The counts BullMQ's own getters report, per queue (read with a Queue that skips its meta update). */
export async function bullmqCounts(target: RedisTarget, prefix: string, names: readonly string[]): Promise<Record<string, {counts: Record<State, number>; paused: boolean}>> {
	const connection = openClient(target);
	connection.on('error', () => {/* surfaced by the failing command */});
	if (typeof target !== 'string') await waitForClusterReady(connection as Cluster);
	const opened = names.map(name => new Queue(name, {connection, prefix, skipMetasUpdate: true}));
	try {
		const entries = await Promise.all(opened.map(async queue => {
			const counts = await queue.getJobCounts(...STATES) as Record<State, number>;
			return [queue.name, {counts, paused: await queue.isPaused()}] as const;
		}));
		return Object.fromEntries(entries);
	} finally {
		await Promise.allSettled(opened.map(async queue => queue.close()));
		await connection.quit().catch(() => connection.disconnect());
	}
}

/** The counts the fill placed, per queue, from its result. */
export function expectedCounts(fill: FillResult, queue: string): Record<State, number> {
	const states = fill.ids[queue] ?? emptyStates();
	return Object.fromEntries(STATES.map(state => [state, states[state].length])) as Record<State, number>;
}
