/**
 * Operator actions as functions that return result values, so the CLI and
 * the console call the very same code. Every bulk action works in batches of
 * at most BATCH jobs per Redis script, reports progress, and stops cleanly
 * between batches when its signal aborts: each job is always in exactly one
 * state, and memory stays flat whatever the number of jobs.
 */
import {Queue} from 'bullmq';
import {atMost} from '../util/bounded.js';
import {toUserError, type Connection} from './connection.js';
import {queueKey, registryKey, stateKey} from './keys.js';
import {callScript, defineScript} from './scripts.js';

/** The most jobs one Redis script touches. */
export const BATCH = 1000;

export type ActionResult = {
	queue: string | null;
	action: string;
	/** Jobs affected (or that would be, with dryRun). */
	count: number;
	dryRun: boolean;
	/** True when the signal stopped it between batches. */
	interrupted?: boolean;
	[extra: string]: unknown;
};

export type Progress = {done: number; total: number};

export type BulkOptions = {
	dryRun?: boolean;
	signal?: AbortSignal;
	onProgress?: (progress: Progress) => void;
	/** Jobs per script (≤ BATCH). */
	batch?: number;
};

/** A BullMQ Queue on our connection that never writes its meta hash on open. */
export function openQueue(connection: Connection, name: string): Queue {
	const queue = new Queue(name, {connection: connection.client, prefix: connection.prefix, skipMetasUpdate: true});
	// Connection errors reach the caller through the command that failed; unheard, BullMQ prints them.
	queue.on('error', () => {});
	return queue;
}

async function withQueue<T>(connection: Connection, name: string, work: (queue: Queue) => Promise<T>): Promise<T> {
	const queue = openQueue(connection, name);
	try {
		return await work(queue);
	} catch (error) {
		throw toUserError(error, connection.where);
	} finally {
		await atMost(queue.close(), 5000);
	}
}

const batchOf = (options: BulkOptions): number => Math.max(1, Math.min(options.batch ?? BATCH, BATCH));

function retryKeys(connection: Connection, queue: string): string[] {
	const key = (suffix: string) => queueKey(connection.prefix, queue, suffix);
	return [`${connection.prefix}:${queue}:`, key('events'), key('failed'), key('wait'), key('meta'), key('active'), key('marker'), key('prioritized'), key('pc')];
}

/**
 * Retries every failed job of `queue` that failed before now: failed →
 * waiting (or prioritized, keeping its priority — BullMQ's own retryJobs
 * script drops it), attempts reset as Laravel's queue:retry does.
 */
export async function retryAllFailed(connection: Connection, queue: string, options: BulkOptions = {}): Promise<ActionResult> {
	const failedKey = stateKey(connection.prefix, queue, 'failed');
	const cutoff = Date.now();
	try {
		const total = await connection.client.zcount(failedKey, 0, cutoff);
		if (options.dryRun) return {queue, action: 'retry', count: total, dryRun: true};
		defineScript(connection.client, 'retry-failed', 9);
		const keys = retryKeys(connection, queue);
		let done = 0;
		let prioritized = 0;
		while (!options.signal?.aborted) {
			const [moved, withPriority] = (await callScript(connection.client, 'retry-failed', keys, [batchOf(options), cutoff])) as [number, number];
			if (moved === 0) break;
			done += moved;
			prioritized += withPriority;
			options.onProgress?.({done, total: Math.max(total, done)});
		}
		return {queue, action: 'retry', count: done, dryRun: false, prioritized, interrupted: options.signal?.aborted === true && done < total};
	} catch (error) {
		throw toUserError(error, connection.where);
	}
}

/** Retries the named failed jobs; ids not in the failed set are reported, not retried. */
export async function retryJobs(connection: Connection, queue: string, ids: readonly string[], options: BulkOptions = {}): Promise<ActionResult> {
	const failedKey = stateKey(connection.prefix, queue, 'failed');
	try {
		const pipeline = connection.client.pipeline();
		for (const id of ids) pipeline.zscore(failedKey, id);
		const scores = ((await pipeline.exec()) ?? []).map(([, score]) => score);
		const failed = ids.filter((_, index) => scores[index] !== null);
		const notFailed = ids.filter((_, index) => scores[index] === null);
		if (options.dryRun || failed.length === 0) return {queue, action: 'retry', count: failed.length, dryRun: options.dryRun === true, notFailed};
		defineScript(connection.client, 'retry-failed-ids', 9);
		const keys = retryKeys(connection, queue);
		let done = 0;
		for (let start = 0; start < failed.length && !options.signal?.aborted; start += batchOf(options)) {
			const slice = failed.slice(start, start + batchOf(options));
			const [moved] = (await callScript(connection.client, 'retry-failed-ids', keys, slice)) as [number, number];
			done += moved;
			options.onProgress?.({done, total: failed.length});
		}
		return {queue, action: 'retry', count: done, dryRun: false, notFailed};
	} catch (error) {
		throw toUserError(error, connection.where);
	}
}

/** The states BullMQ's clean script can empty (not waiting-children: those belong to their parent). */
export const CLEANABLE_STATES = ['completed', 'failed', 'delayed', 'prioritized', 'waiting', 'active'] as const;
export type CleanableState = (typeof CLEANABLE_STATES)[number];

/**
 * Deletes jobs in `state` that finished (or were created, for unfinished
 * states) more than `olderThanMs` ago, BATCH per BullMQ clean script.
 */
export async function cleanJobs(connection: Connection, queue: string, state: CleanableState, olderThanMs: number, options: BulkOptions = {}): Promise<ActionResult> {
	const action = state === 'failed' ? 'flush' : 'clean';
	const cutoff = Date.now() - olderThanMs;
	return withQueue(connection, queue, async bull => {
		const key = stateKey(connection.prefix, queue, state);
		const isList = state === 'waiting' || state === 'active';
		const total = isList ? await connection.client.llen(key) : await connection.client.zcount(key, '-inf', cutoff);
		if (options.dryRun) {
			// For lists the age filter needs each job's timestamp: report the upper bound, honestly labelled.
			return {queue, action, count: total, dryRun: true, ...(isList && olderThanMs > 0 ? {upperBound: true} : {})};
		}
		let done = 0;
		while (!options.signal?.aborted) {
			const removed = await bull.clean(olderThanMs, batchOf(options), state === 'waiting' ? 'wait' : state);
			if (removed.length === 0) break;
			done += removed.length;
			options.onProgress?.({done, total: Math.max(total, done)});
		}
		return {queue, action, count: done, dryRun: false, interrupted: options.signal?.aborted === true};
	});
}

/** Pauses or resumes a queue (BullMQ's pause script: active jobs finish, no new ones start). */
export async function setPaused(connection: Connection, queue: string, paused: boolean, options: {dryRun?: boolean} = {}): Promise<ActionResult> {
	const action = paused ? 'pause' : 'resume';
	if (options.dryRun) return {queue, action, count: 0, dryRun: true};
	return withQueue(connection, queue, async bull => {
		await (paused ? bull.pause() : bull.resume());
		return {queue, action, count: 0, dryRun: false};
	});
}

/**
 * Deletes the named jobs (the console's `D`), in slices of 100 calls of
 * BullMQ's own remove script. A job a worker holds (active, locked) is not
 * removed: BullMQ refuses, and it is reported in `notRemoved`.
 */
export async function removeJobs(connection: Connection, queue: string, ids: readonly string[], options: {dryRun?: boolean} = {}): Promise<ActionResult> {
	if (options.dryRun) return {queue, action: 'delete', count: ids.length, dryRun: true, notRemoved: []};
	return withQueue(connection, queue, async bull => {
		const notRemoved: string[] = [];
		let count = 0;
		for (let start = 0; start < ids.length; start += 100) {
			const slice = ids.slice(start, start + 100);
			const removed = await Promise.all(slice.map(async id => bull.remove(id).catch(() => 0)));
			removed.forEach((result, index) => {
				if (result === 1) count++;
				else notRemoved.push(slice[index]!);
			});
		}
		return {queue, action: 'delete', count, dryRun: false, notRemoved};
	});
}

export type DispatchInput = {
	name: string;
	data: unknown;
	delayMs?: number;
	priority?: number;
	jobId?: string;
	attempts?: number;
	backoff?: {type: 'fixed' | 'exponential'; delay: number};
};

/** Enqueues one job and records the queue as known. */
export async function dispatchJob(connection: Connection, queue: string, input: DispatchInput, options: {dryRun?: boolean} = {}): Promise<ActionResult> {
	if (options.dryRun) return {queue, action: 'dispatch', count: 1, dryRun: true, jobId: input.jobId ?? null};
	return withQueue(connection, queue, async bull => {
		// BullMQ keeps an existing job and drops the new one silently: report 0 jobs affected.
		if (input.jobId !== undefined && (await connection.client.exists(`${connection.prefix}:${queue}:${input.jobId}`)) === 1) {
			return {queue, action: 'dispatch', count: 0, dryRun: false, jobId: input.jobId, existed: true};
		}
		const job = await bull.add(input.name, input.data, {
			...(input.delayMs ? {delay: input.delayMs} : {}),
			...(input.priority ? {priority: input.priority} : {}),
			...(input.jobId ? {jobId: input.jobId} : {}),
			...(input.attempts ? {attempts: input.attempts} : {}),
			...(input.backoff ? {backoff: input.backoff} : {}),
		});
		await connection.client.sadd(registryKey(connection.prefix), queue);
		return {queue, action: 'dispatch', count: 1, dryRun: false, jobId: job.id ?? null};
	});
}
