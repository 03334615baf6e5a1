/**
 * The seed's `failed_jobs_archive` tinker snippet, done safely: old failed
 * jobs are written to a JSON-lines file and fsynced BEFORE they are removed,
 * batch by batch; `restoreArchive` puts them back as waiting jobs.
 */
import {createReadStream} from 'node:fs';
import {open, type FileHandle} from 'node:fs/promises';
import {createInterface} from 'node:readline';
import {UserError} from '../errors.js';
import {BATCH, openQueue, type ActionResult, type BulkOptions} from './actions.js';
import {toUserError, type Connection} from './connection.js';
import {jobKey, registryKey, stateKey} from './keys.js';

/** The newest log lines an archive record keeps per job. */
const MAX_ARCHIVED_LOGS = 10_000;

/** One archived job: everything needed to put it back, plus the raw hash. */
export type ArchiveRecord = {
	v: 1;
	queue: string;
	id: string;
	name: string;
	data: unknown;
	/** The data text as stored, when it is not valid JSON (so nothing is lost). */
	rawData?: string;
	opts: Record<string, unknown>;
	failedReason: string | null;
	stacktrace: string[];
	attemptsMade: number;
	timestamp: number | null;
	processedOn: number | null;
	finishedOn: number | null;
	logs: string[];
	/** Every field of the job hash, verbatim. */
	hash: Record<string, string>;
	archivedAt: number;
};

const num = (text: string | undefined): number | null => (text === undefined || text === '' || !Number.isFinite(Number(text)) ? null : Number(text));

function parse(text: string | undefined, fallback: unknown): {ok: boolean; value: unknown} {
	if (text === undefined) return {ok: true, value: fallback};
	try {
		return {ok: true, value: JSON.parse(text)};
	} catch {
		return {ok: false, value: null};
	}
}

/** BullMQ stores a few options under short names (its optsDecodeMap). */
const decode: Record<string, string> = {de: 'deduplication', fpof: 'failParentOnFailure', cpof: 'continueParentOnFailure', idof: 'ignoreDependencyOnFailure', kl: 'keepLogs', rdof: 'removeDependencyOnFailure'};

export function toRecord(queue: string, id: string, hash: Record<string, string>, logs: string[]): ArchiveRecord {
	const data = parse(hash['data'], {});
	const rawOpts = parse(hash['opts'], {});
	const opts = Object.fromEntries(Object.entries((rawOpts.value ?? {}) as Record<string, unknown>).map(([key, value]) => [decode[key] ?? key, value]));
	const stack = parse(hash['stacktrace'], []);
	return {
		v: 1,
		queue,
		id,
		name: hash['name'] ?? '',
		data: data.value,
		...(data.ok ? {} : {rawData: hash['data']}),
		opts,
		failedReason: hash['failedReason'] ?? null,
		stacktrace: Array.isArray(stack.value) ? (stack.value as unknown[]).map(String) : [],
		attemptsMade: num(hash['atm'] ?? hash['attemptsMade']) ?? 0,
		timestamp: num(hash['timestamp']),
		processedOn: num(hash['processedOn']),
		finishedOn: num(hash['finishedOn']),
		logs,
		hash,
		archivedAt: Date.now(),
	};
}

async function writeAll(file: FileHandle, lines: string[]): Promise<void> {
	await file.write(lines.join(''));
	// The archive must be on disk before a single job is removed.
	await file.sync();
}

/**
 * Moves failed jobs of `queue` that failed more than `olderThanMs` ago into
 * the archive file (appending), BATCH at a time: read, write, fsync, remove.
 */
export async function archiveFailed(connection: Connection, queue: string, olderThanMs: number, path: string, options: BulkOptions = {}): Promise<ActionResult> {
	const failedKey = stateKey(connection.prefix, queue, 'failed');
	const cutoff = Date.now() - olderThanMs;
	const batch = Math.min(options.batch ?? BATCH, BATCH);
	let file: FileHandle | undefined;
	const bull = openQueue(connection, queue);
	try {
		const total = await connection.client.zcount(failedKey, '-inf', cutoff);
		if (options.dryRun) return {queue, action: 'archive', count: total, dryRun: true, file: path};
		file = await open(path, 'a', 0o600).catch((error: NodeJS.ErrnoException) => {
			throw new UserError('usage', `cannot write the archive ${path}: ${error.code ?? error.message}`, 'choose another --to path');
		});
		let done = 0;
		let skipped = 0;
		while (!options.signal?.aborted) {
			const ids = await connection.client.zrangebyscore(failedKey, '-inf', cutoff, 'LIMIT', skipped, batch);
			if (ids.length === 0) break;
			const pipeline = connection.client.pipeline();
			for (const id of ids) {
				pipeline.hgetall(jobKey(connection.prefix, queue, id));
				pipeline.lrange(`${jobKey(connection.prefix, queue, id)}:logs`, -MAX_ARCHIVED_LOGS, -1);
			}
			const replies = (await pipeline.exec()) ?? [];
			const lines = ids.map((id, index) => {
				const hash = (replies[index * 2]?.[1] ?? {}) as Record<string, string>;
				const logs = (replies[index * 2 + 1]?.[1] ?? []) as string[];
				return `${JSON.stringify(toRecord(queue, id, hash, logs))}\n`;
			});
			await writeAll(file, lines);
			// Only what is in the file goes: a failed parent's children stay (BullMQ's remove would take them).
			const removed = await Promise.all(ids.map(async id => bull.remove(id, {removeChildren: false})));
			const count = removed.filter(result => result === 1).length;
			// A job that could not be removed (e.g. retried meanwhile) stays; skip past it.
			skipped += ids.length - count;
			done += count;
			options.onProgress?.({done, total: Math.max(total, done)});
		}
		return {queue, action: 'archive', count: done, dryRun: false, file: path, interrupted: options.signal?.aborted === true};
	} catch (error) {
		throw toUserError(error, connection.where);
	} finally {
		await file?.close();
		await bull.close();
	}
}

/** Options that make no sense for a job put back by hand. */
const dropOptions = new Set(['jobId', 'repeat', 'repeatJobKey', 'parent', 'prevMillis', 'delay', 'timestamp', 'deduplication', 'debounce']);

function checkRecord(record: unknown, line: number, path: string): ArchiveRecord {
	const candidate = record as Partial<ArchiveRecord> | null;
	if (!candidate || typeof candidate !== 'object' || typeof candidate.queue !== 'string' || typeof candidate.id !== 'string' || typeof candidate.name !== 'string' || !/^[^\s:]+$/.test(candidate.queue)) {
		throw new UserError('usage', `${path}:${line}: not an archive record (needs queue, id and name)`, 'restore reads files written by `saccos-queue archive`');
	}
	return candidate as ArchiveRecord;
}

/**
 * Reads an archive file and re-enqueues its jobs as waiting jobs, with their
 * ids, data, options and logs, BATCH at a time. A job whose id exists already
 * is skipped (restoring twice changes nothing). The file is validated first,
 * so a bad file adds no job at all.
 */
export async function restoreArchive(connection: Connection, path: string, options: BulkOptions = {}): Promise<ActionResult> {
	const batch = Math.min(options.batch ?? BATCH, BATCH);
	const lines = async function* () {
		const reader = createInterface({input: createReadStream(path, {encoding: 'utf8'}), crlfDelay: Infinity});
		let number = 0;
		for await (const text of reader) {
			number++;
			if (text.trim() === '') continue;
			let parsed: unknown;
			try {
				parsed = JSON.parse(text);
			} catch {
				throw new UserError('usage', `${path}:${number}: not valid JSON`, 'restore reads files written by `saccos-queue archive`');
			}
			yield checkRecord(parsed, number, path);
		}
	};
	let total = 0;
	try {
		for await (const _ of lines()) total++;
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new UserError('usage', `no archive file ${path}`, 'give the path of a file written by `saccos-queue archive`');
		throw error;
	}
	if (options.dryRun) return {queue: null, action: 'restore', count: total, dryRun: true, file: path};
	let done = 0;
	let skipped = 0;
	let pending: ArchiveRecord[] = [];
	const flush = async () => {
		const counts = await restoreBatch(connection, pending);
		done += counts.added;
		skipped += counts.skipped;
		pending = [];
		options.onProgress?.({done: done + skipped, total});
	};
	try {
		for await (const record of lines()) {
			pending.push(record);
			if (pending.length >= batch) {
				await flush();
				if (options.signal?.aborted) break;
			}
		}
		if (pending.length > 0 && !options.signal?.aborted) await flush();
	} catch (error) {
		throw toUserError(error, connection.where);
	}
	return {queue: null, action: 'restore', count: done, dryRun: false, skipped, file: path, interrupted: options.signal?.aborted === true};
}

/**
 * The id a job is restored under. BullMQ refuses numeric custom ids (they
 * belong to its counter), so a numeric id comes back as `restored-<id>`:
 * still deterministic, so restoring the same file twice adds nothing.
 */
export const restoredId = (id: string): string => (/^\d+$/.test(id) ? `restored-${id}` : id);

async function restoreBatch(connection: Connection, records: ArchiveRecord[]): Promise<{added: number; skipped: number}> {
	const {prefix, client} = connection;
	const exists = client.pipeline();
	for (const record of records) exists.exists(jobKey(prefix, record.queue, restoredId(record.id)));
	const present = ((await exists.exec()) ?? []).map(([, value]) => Number(value) === 1);
	// An archive appended to twice may hold one job twice (e.g. `5` and, later, `restored-5`).
	const seen = new Set<string>();
	const fresh = records.filter((record, index) => {
		const key = `${record.queue}\u0000${restoredId(record.id)}`;
		if (present[index] || seen.has(key)) return false;
		seen.add(key);
		return true;
	});
	const byQueue = new Map<string, ArchiveRecord[]>();
	for (const record of fresh) byQueue.set(record.queue, [...(byQueue.get(record.queue) ?? []), record]);
	for (const [queue, group] of byQueue) {
		const bull = openQueue(connection, queue);
		try {
			await bull.addBulk(group.map(record => ({
				name: record.name,
				data: record.rawData === undefined ? record.data : null,
				opts: {...Object.fromEntries(Object.entries(record.opts ?? {}).filter(([key]) => !dropOptions.has(key))), jobId: restoredId(record.id)},
			})));
		} finally {
			await bull.close();
		}
		const after = client.pipeline();
		for (const record of group) {
			const key = jobKey(prefix, queue, restoredId(record.id));
			// Corrupt data goes back exactly as it was, and so do the job's logs.
			if (record.rawData !== undefined) after.hset(key, 'data', record.rawData);
			const note = restoredId(record.id) === record.id ? [] : [`restored from archive (original id ${record.id})`];
			if (record.logs?.length || note.length) after.rpush(`${key}:logs`, ...(record.logs ?? []), ...note);
		}
		after.sadd(registryKey(prefix), queue);
		await after.exec();
	}
	return {added: fresh.length, skipped: records.length - fresh.length};
}
