/**
 * The seed's `failed_jobs_archive` tinker snippet, done safely: old failed
 * jobs are written to a JSON-lines file, fsynced and read back BEFORE they are
 * removed, batch by batch; `restoreArchive` puts them back as waiting jobs.
 */
import {createReadStream} from 'node:fs';
import {open, rm, type FileHandle} from 'node:fs/promises';
import {createInterface} from 'node:readline';
import {UserError, errnoOf, fileError} from '../errors.js';
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

/**
 * The archive file of one `archive` run. A batch's jobs are deleted only once
 * its lines are verified on disk, so `append` writes every byte (write(2) may
 * write fewer than asked: on a nearly full disk it writes what fits), fsyncs,
 * and reads the bytes back. On any failure it cuts the file back to the end
 * of the last good batch — no partial line is left — and removes the file if
 * this run created it and no batch got in.
 */
export class ArchiveFile {
	private handle: FileHandle | undefined;
	private created = false;
	/** The end of the last verified batch: everything before it is whole lines. */
	private good = 0;
	/** Where this run started appending. */
	private start = 0;
	/** What happened to the file when a batch failed, for the error message. */
	private outcome: string | undefined;

	constructor(readonly path: string) {}

	/** Opens (creating, mode 0600) the file for appending, and reading back what was appended; a file that cannot be written is an I/O error (exit 74). */
	async open(): Promise<void> {
		try {
			try {
				this.handle = await open(this.path, 'ax+', 0o600);
				this.created = true;
			} catch (error) {
				if (errnoOf(error) !== 'EEXIST') throw error;
				this.handle = await open(this.path, 'a+', 0o600);
			}
			this.start = (await this.handle.stat()).size;
			this.good = this.start;
		} catch (error) {
			await this.handle?.close().catch(() => {});
			this.handle = undefined;
			throw fileError(error, 'write the archive', this.path);
		}
	}

	/** Appends whole lines; resolves only once they are on disk and read back intact. */
	async append(text: string): Promise<void> {
		const handle = this.handle;
		if (!handle) throw new Error(`archive ${this.path} is not open`);
		// An earlier, interrupted writer may have left the file without a final newline: ours start on a line of their own.
		const lead = this.good > 0 && this.good === this.start && !(await this.endsWithNewline(handle)) ? '\n' : '';
		const bytes = Buffer.from(lead + text);
		try {
			for (let offset = 0; offset < bytes.length;) {
				const {bytesWritten} = await handle.write(bytes, offset, bytes.length - offset);
				if (bytesWritten <= 0) throw Object.assign(new Error('write wrote nothing'), {code: 'EIO'});
				offset += bytesWritten;
			}
			await handle.sync();
			// What a reader will find: the file ends where this batch does, with exactly its bytes.
			const size = (await handle.stat()).size;
			if (size !== this.good + bytes.length) throw new UserError('io', `cannot write the archive ${this.path}: it is ${size} bytes long, ${this.good + bytes.length} expected (is another process writing to it?)`, 'give each archive run a file of its own');
			const back = Buffer.alloc(bytes.length);
			const {bytesRead} = await handle.read(back, 0, bytes.length, this.good);
			if (bytesRead !== bytes.length || !back.equals(bytes)) throw new UserError('io', `cannot write the archive ${this.path}: what was read back differs from what was written`, 'the disk may be failing: check dmesg');
		} catch (error) {
			await this.cutBack();
			throw fileError(error, 'write the archive', this.path);
		}
		this.good += bytes.length;
	}

	private async endsWithNewline(handle: FileHandle): Promise<boolean> {
		const last = Buffer.alloc(1);
		const {bytesRead} = await handle.read(last, 0, 1, this.good - 1);
		return bytesRead === 1 && last[0] === 10;
	}

	/** After a failed batch: the file as it was after the last good one, or gone if this run made it and nothing got in. */
	private async cutBack(): Promise<void> {
		try {
			if (this.created && this.good === 0) {
				await this.handle?.close();
				this.handle = undefined;
				await rm(this.path, {force: true});
				this.outcome = `${this.path} was removed (this run had created it)`;
				return;
			}
			await this.handle!.truncate(this.good);
			await this.handle!.sync();
			this.outcome = this.good === this.start ? `${this.path} is as it was before this run` : `${this.path} holds them, whole lines only`;
		} catch (error) {
			this.outcome = `${this.path} may end with a partial line that could not be cut (${errnoOf(error) ?? (error as Error).message}): run \`truncate -s ${this.good} ${this.path}\``;
		}
	}

	/** What a failed append left the file as, in words. */
	get state(): string | undefined {
		return this.outcome;
	}

	async close(): Promise<void> {
		await this.handle?.close();
		this.handle = undefined;
	}
}

/**
 * Moves failed jobs of `queue` that failed more than `olderThanMs` ago into
 * the archive file (appending), BATCH at a time: read, write and verify, remove.
 */
export async function archiveFailed(connection: Connection, queue: string, olderThanMs: number, archive: ArchiveFile, options: BulkOptions = {}): Promise<ActionResult> {
	const failedKey = stateKey(connection.prefix, queue, 'failed');
	const cutoff = Date.now() - olderThanMs;
	const batch = Math.min(options.batch ?? BATCH, BATCH);
	const bull = openQueue(connection, queue);
	try {
		const total = await connection.client.zcount(failedKey, '-inf', cutoff);
		if (options.dryRun) return {queue, action: 'archive', count: total, dryRun: true, file: archive.path};
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
			// The archive must be on disk, verified, before a single job of the batch is removed.
			await archive.append(lines.join(''));
			// Only what is in the file goes: a failed parent's children stay (BullMQ's remove would take them).
			const removed = await Promise.all(ids.map(async id => bull.remove(id, {removeChildren: false})));
			const count = removed.filter(result => result === 1).length;
			// A job that could not be removed (e.g. retried meanwhile) stays; skip past it.
			skipped += ids.length - count;
			done += count;
			options.onProgress?.({done, total: Math.max(total, done)});
		}
		return {queue, action: 'archive', count: done, dryRun: false, file: archive.path, interrupted: options.signal?.aborted === true};
	} catch (error) {
		throw toUserError(error, connection.where);
	} finally {
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
		if (errnoOf(error) === 'ENOENT') throw new UserError('usage', `no archive file ${path}`, 'give the path of a file written by `saccos-queue archive`');
		// A folder, an unreadable file, a failing disk: the environment's fault (exit 74), not a bug.
		throw fileError(error, 'read the archive', path);
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
		throw toUserError(fileError(error, 'read the archive', path), connection.where);
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
