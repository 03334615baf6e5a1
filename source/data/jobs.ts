/**
 * Job pages and job detail, read straight from BullMQ's job hashes with
 * bounded ranges (never `end = -1`). Reading the hash ourselves, rather than
 * through Job.fromId, lets a job with corrupt data show `data: null` and a
 * `dataError` instead of breaking the page, and writes nothing (BullMQ's
 * getters may RPOP a legacy marker).
 *
 * Job data is untrusted in size as well as in content: another application
 * may enqueue 20 MB. A read for showing takes each large field (data, failed
 * reason, stack traces, return value) capped at `fieldBytes`, cut on the
 * server by a read-only script, with the field's full size; only `job --json`
 * and the pager's file read a job whole.
 */
import {UserError} from '../errors.js';
import {toUserError, type Connection, type RedisClient} from './connection.js';
import {jobKey, stateKey} from './keys.js';
import {callScript, defineScript, queueScript} from './scripts.js';
import {JOB_STATES, type JobDetail, type JobPage, type JobState, type JobSummary} from '../common/types.js';
import {stringsOfArrayText} from '../util/json-text.js';

/** The largest page one call may read. */
export const MAX_PAGE = 1000;
/** How many of a job's log lines `getJob` returns (the newest). */
export const MAX_LOG_LINES = 200;
/** The default of `limits.jobPreviewBytes`: how much of each large field a read for showing takes. */
export const DEFAULT_FIELD_BYTES = 64 * 1024;
/** What a table row needs of each field (it shows one line of it): the console's pages, `jobs` and `failed` without --json. */
export const ROW_FIELD_BYTES = 1024;
/** A log line is cut at this for showing (1 KB: six rows of a wide terminal); 200 lines of megabytes are not a log. */
const LOG_LINE_BYTES = 1024;

/** A field as read: its text (only its start when cut), its full size in bytes, and whether it was cut. */
type Field = {text: string; bytes: number; cut: boolean};
type Fields = Partial<Record<string, Field>>;

const SUMMARY_FIELDS = ['name', 'timestamp', 'attemptsMade', 'atm', 'failedReason', 'processedOn', 'finishedOn', 'delay', 'priority', 'data'] as const;
const DETAIL_FIELDS = [...SUMMARY_FIELDS, 'opts', 'stacktrace', 'returnvalue', 'progress', 'ats', 'parentKey', 'pb'] as const;

type Reply = [Error | null, unknown];

const toNumber = (text: string | undefined): number | null => {
	if (text === undefined || text === '') return null;
	const value = Number(text);
	return Number.isFinite(value) ? value : null;
};

function parseJson(text: string | undefined, fallback: unknown): {value: unknown; error?: string} {
	if (text === undefined) return {value: fallback};
	try {
		return {value: JSON.parse(text)};
	} catch (error) {
		return {value: null, error: `not valid JSON: ${(error as Error).message}`};
	}
}

/** A whole hash (HGETALL) as fields, none cut. */
const wholeFields = (hash: Record<string, string>): Fields =>
	Object.fromEntries(Object.entries(hash).map(([name, text]) => [name, {text, bytes: Buffer.byteLength(text), cut: false}]));

/** Turns a job hash's fields into a summary; the hash must be a job's (has a timestamp). */
export function summarize(queue: string, id: string, state: JobSummary['state'], fields: Fields): JobSummary {
	const text = (name: string) => fields[name]?.text;
	const data = fields['data'];
	const reason = fields['failedReason'];
	const parsed = data?.cut ? undefined : parseJson(data?.text, {});
	return {
		id,
		queue,
		name: text('name') ?? '',
		state,
		attemptsMade: toNumber(text('attemptsMade') ?? text('atm')) ?? 0,
		failedReason: reason?.text ?? null,
		timestamp: toNumber(text('timestamp')),
		processedOn: toNumber(text('processedOn')),
		finishedOn: toNumber(text('finishedOn')),
		delay: toNumber(text('delay')) ?? 0,
		priority: toNumber(text('priority')) ?? 0,
		data: parsed ? parsed.value : null,
		...(parsed?.error ? {dataError: parsed.error} : {}),
		...(data?.cut ? {dataTruncated: true, dataBytes: data.bytes, ...(data.text ? {dataPreview: data.text} : {})} : {}),
		...(reason?.cut ? {failedReasonTruncated: true, failedReasonBytes: reason.bytes} : {}),
	};
}

const isJob = (fields: Fields | undefined): fields is Fields => fields?.['timestamp'] !== undefined;

/**
 * Clients whose server refused our read-only scripts (an ACL user without
 * @scripting, EVAL renamed away): they are read with HSTRLEN and HMGET
 * instead, and a field above the cap then comes without its start.
 */
const scriptless = new WeakSet<RedisClient>();
const scriptRefused = (error: Error | null | undefined): boolean => Boolean(error && /NOPERM|unknown command/i.test(error.message));

/**
 * The starts of large fields already read, by client: cutting a 20 MB field
 * costs the server a copy of all of it, and the console asks again every 2 s.
 * An entry is offered back (and kept when the field's size is unchanged) for
 * 30 s, so a large job on screen costs the server one whole read per 30 s,
 * not per poll; a change of the same size shows within that time.
 */
type Starts = {entries: Map<string, {bytes: number; text: string; at: number}>; chars: number};
const starts = new WeakMap<RedisClient, Starts>();
const START_TTL_MS = 30_000;
/** At most this many characters of starts are kept (the oldest go first): a few MB. */
const MAX_START_CHARS = 4 * 1024 * 1024;

/** Reads `fields` of each hash, each field cut at `cap` bytes; undefined for a key that is not a hash. */
async function readCapped(connection: Connection, keys: readonly string[], fields: readonly string[], cap: number): Promise<Array<Fields | undefined>> {
	if (keys.length === 0) return [];
	const {client} = connection;
	if (!scriptless.has(client)) {
		defineScript(client, 'read-capped', 1);
		let held = starts.get(client);
		if (!held) starts.set(client, held = {entries: new Map(), chars: 0});
		const known = held.entries;
		const forget = (id: string) => {
			held.chars -= known.get(id)?.text.length ?? 0;
			known.delete(id);
		};
		const now = Date.now();
		const startKey = (key: string, name: string) => `${cap}\u0000${key}\u0000${name}`;
		const pipeline = client.pipeline();
		for (const key of keys) {
			const args = fields.flatMap(name => {
				const start = known.get(startKey(key, name));
				return [name, start && now - start.at < START_TTL_MS ? start.bytes : -1];
			});
			queueScript(pipeline, 'read-capped', [key], [cap, ...args]);
		}
		const replies = await exec(connection, pipeline);
		if (!replies.some(([error]) => scriptRefused(error))) {
			return replies.map(([error, reply], k) => {
				if (error || !Array.isArray(reply)) return undefined; // not a hash: not a job
				const read: Fields = {};
				fields.forEach((name, index) => {
					const value = reply[index * 2] as string | null;
					const bytes = Number(reply[index * 2 + 1]);
					const id = startKey(keys[k]!, name);
					if (value === null) {
						const start = known.get(id);
						if (bytes > cap && start) read[name] = {text: start.text, bytes, cut: true};
						return;
					}
					const cut = bytes > cap;
					read[name] = {text: value, bytes, cut};
					if (cut) {
						forget(id);
						known.set(id, {bytes, text: value, at: now});
						held.chars += value.length;
						while (held.chars > MAX_START_CHARS && known.size > 1) forget(known.keys().next().value!);
					}
				});
				return read;
			});
		}
		scriptless.add(client);
	}
	// Sizes first (O(1) each), then the fields that fit.
	const sizes = client.pipeline();
	for (const key of keys) for (const name of fields) sizes.hstrlen(key, name);
	const sizeReplies = await exec(connection, sizes);
	const reads = client.pipeline();
	const plans = keys.map((key, k) => {
		const replies = sizeReplies.slice(k * fields.length, (k + 1) * fields.length);
		if (replies.some(([error]) => error)) return undefined; // not a hash
		const bytes = replies.map(([, size]) => Number(size));
		const small = fields.filter((_, index) => bytes[index]! <= cap);
		if (small.length > 0) reads.hmget(key, ...small);
		return {bytes, small};
	});
	const values = await exec(connection, reads);
	let next = 0;
	return plans.map(plan => {
		if (!plan) return undefined;
		const smallValues = plan.small.length > 0 ? (ok(connection, values[next++]) as Array<string | null>) : [];
		const read: Fields = {};
		fields.forEach((name, index) => {
			const at = plan.small.indexOf(name);
			if (at === -1) read[name] = {text: '', bytes: plan.bytes[index]!, cut: true};
			else if (smallValues[at] !== null && smallValues[at] !== undefined) read[name] = {text: smallValues[at]!, bytes: plan.bytes[index]!, cut: false};
		});
		return read;
	});
}

/** The newest `count` lines of a job's log, each cut at `cap` bytes (a cut line ends with …), and how many there are. */
async function readLogTail(connection: Connection, key: string, count: number, cap: number | undefined): Promise<{total: number; lines: string[]}> {
	const {client} = connection;
	if (cap !== undefined && !scriptless.has(client)) {
		defineScript(client, 'list-tail-capped', 1);
		try {
			const flat = (await callScript(client, 'list-tail-capped', [key], [count, cap])) as Array<string | number>;
			const lines: string[] = [];
			for (let index = 1; index < flat.length; index += 2) {
				const line = String(flat[index]);
				lines.push(Buffer.byteLength(line) < Number(flat[index + 1]) ? `${line}…` : line);
			}
			return {total: Number(flat[0]), lines};
		} catch (error) {
			if (!scriptRefused(error as Error)) throw toUserError(error, connection.where);
			scriptless.add(client);
		}
	}
	const pipeline = client.pipeline();
	pipeline.llen(key);
	pipeline.lrange(key, -count, -1);
	const replies = await exec(connection, pipeline);
	const lines = ok(connection, replies[1]) as string[];
	return {total: Number(ok(connection, replies[0])), lines: cap === undefined ? lines : lines.map(line => (line.length > cap ? `${line.slice(0, cap)}…` : line))};
}

function checkState(state: string): JobState {
	if (!(JOB_STATES as readonly string[]).includes(state)) {
		throw new UserError('usage', `unknown state "${state}"`, `use one of: ${JOB_STATES.join(', ')}`);
	}
	return state as JobState;
}

function checkRange(limit: number, offset: number): void {
	if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
		throw new UserError('usage', `--limit must be a whole number from 1 to ${MAX_PAGE}`, 'page through larger sets with --offset');
	}
	if (!Number.isInteger(offset) || offset < 0) {
		throw new UserError('usage', '--offset must be a whole number, 0 or more', 'e.g. --offset 50');
	}
}

async function exec(connection: Connection, pipeline: ReturnType<Connection['client']['pipeline']>): Promise<Reply[]> {
	try {
		return ((await pipeline.exec()) ?? []) as Reply[];
	} catch (error) {
		throw toUserError(error, connection.where);
	}
}

function ok(connection: Connection, reply: Reply | undefined): unknown {
	if (!reply) return undefined;
	if (reply[0]) throw toUserError(reply[0], connection.where);
	return reply[1];
}

/** Reads the jobs of `entries`, each large field cut at `fieldBytes`, in one round trip; vanished jobs are skipped. */
async function readJobs(connection: Connection, queue: string, entries: Array<{id: string; state: JobSummary['state']}>, fieldBytes: number): Promise<JobSummary[]> {
	const read = await readCapped(connection, entries.map(entry => jobKey(connection.prefix, queue, entry.id)), SUMMARY_FIELDS, fieldBytes);
	const jobs: JobSummary[] = [];
	entries.forEach((entry, index) => {
		const fields = read[index];
		if (isJob(fields)) jobs.push(summarize(queue, entry.id, entry.state, fields));
	});
	return jobs;
}

/**
 * One page of a queue's jobs in one state, in BullMQ's getters' order: next
 * to run first for waiting, active, delayed, prioritized and
 * waiting-children; newest first for completed and failed. Two round trips
 * (ids with the total, then the hashes); each job's data and failed reason
 * are read up to `fieldBytes` (dataTruncated beyond).
 */
export async function getJobPage(connection: Connection, queue: string, stateName: string, limit = 50, offset = 0, fieldBytes = DEFAULT_FIELD_BYTES): Promise<JobPage> {
	const state = checkState(stateName);
	checkRange(limit, offset);
	const key = stateKey(connection.prefix, queue, state);
	const end = offset + limit - 1;
	const pipeline = connection.client.pipeline();
	const isList = state === 'waiting' || state === 'active';
	if (isList) {
		// Next to run first: workers take from the right end of BullMQ's lists.
		pipeline.llen(key);
		pipeline.lrange(key, -(end + 1), -(offset + 1));
	} else {
		pipeline.zcard(key);
		if (state === 'completed' || state === 'failed') pipeline.zrevrange(key, offset, end);
		else pipeline.zrange(key, offset, end);
	}
	const replies = await exec(connection, pipeline);
	const total = Number(ok(connection, replies[0]));
	const ids = ok(connection, replies[1]) as string[];
	if (isList) ids.reverse();
	const jobs = await readJobs(connection, queue, ids.map(id => ({id, state})), fieldBytes);
	return {queue, state, total, offset, limit, jobs};
}

/**
 * Failed jobs across `queues`, newest first. Each queue contributes at most
 * offset+limit ids (bounded), merged by failure time.
 */
export async function getFailedAcross(connection: Connection, queues: readonly string[], limit = 50, offset = 0, fieldBytes = DEFAULT_FIELD_BYTES): Promise<{total: number; offset: number; limit: number; jobs: JobSummary[]}> {
	checkRange(limit, offset);
	const pipeline = connection.client.pipeline();
	for (const queue of queues) {
		const key = stateKey(connection.prefix, queue, 'failed');
		pipeline.zcard(key);
		pipeline.zrevrange(key, 0, offset + limit - 1, 'WITHSCORES');
	}
	const replies = await exec(connection, pipeline);
	let total = 0;
	const candidates: Array<{queue: string; id: string; score: number}> = [];
	queues.forEach((queue, index) => {
		total += Number(ok(connection, replies[index * 2]));
		const flat = ok(connection, replies[index * 2 + 1]) as string[];
		for (let i = 0; i < flat.length; i += 2) candidates.push({queue, id: flat[i]!, score: Number(flat[i + 1])});
	});
	candidates.sort((a, b) => b.score - a.score);
	const page = candidates.slice(offset, offset + limit);
	const byQueue = new Map<string, Array<{id: string; state: JobState}>>();
	for (const entry of page) {
		const list = byQueue.get(entry.queue) ?? [];
		list.push({id: entry.id, state: 'failed'});
		byQueue.set(entry.queue, list);
	}
	const read = await Promise.all([...byQueue].map(async ([queue, entries]) => readJobs(connection, queue, entries, fieldBytes)));
	const found = new Map(read.flat().map(job => [`${job.queue}\u0000${job.id}`, job]));
	const jobs = page.map(entry => found.get(`${entry.queue}\u0000${entry.id}`)).filter((job): job is JobSummary => job !== undefined);
	return {total, offset, limit, jobs};
}

const notFound = (queue: string, id: string): UserError =>
	new UserError('not-found', `no job "${id}" in queue "${queue}"`, `list job ids with \`saccos-queue jobs ${queue} --state failed\``);

/**
 * One job with everything an operator needs to understand a failure: data,
 * options, error, stack trace, attempts, its state and its newest log lines.
 * One round trip. An id that is not a job is a UserError (exit 2).
 *
 * With `fieldBytes`, each large field is read up to that many bytes (and
 * each log line up to 1 KB): what the console and `job` show. Without it the
 * job is read whole (`job --json`).
 */
export async function getJob(connection: Connection, queue: string, id: string, options: {fieldBytes?: number} = {}): Promise<JobDetail> {
	const {prefix} = connection;
	const {fieldBytes} = options;
	const key = jobKey(prefix, queue, id);
	const pipeline = connection.client.pipeline();
	pipeline.lpos(stateKey(prefix, queue, 'waiting'), id);
	pipeline.lpos(stateKey(prefix, queue, 'active'), id);
	const sets = JOB_STATES.filter(state => state !== 'waiting' && state !== 'active');
	for (const state of sets) pipeline.zscore(stateKey(prefix, queue, state), id);
	// Sent together: one round trip.
	const [fields, replies, logs] = await Promise.all([
		fieldBytes === undefined ? readWhole(connection, key) : readCapped(connection, [key], DETAIL_FIELDS, fieldBytes).then(([read]) => read),
		exec(connection, pipeline),
		readLogTail(connection, `${key}:logs`, MAX_LOG_LINES, fieldBytes === undefined ? undefined : Math.min(fieldBytes, LOG_LINE_BYTES)),
	]);
	if (!isJob(fields)) throw notFound(queue, id);
	let state: JobSummary['state'] = 'unknown';
	if (ok(connection, replies[0]) !== null) state = 'waiting';
	else if (ok(connection, replies[1]) !== null) state = 'active';
	else {
		sets.forEach((candidate, index) => {
			if (state === 'unknown' && ok(connection, replies[2 + index]) !== null) state = candidate;
		});
	}
	const text = (name: string) => fields[name]?.text;
	const {opts: rawOpts, stacktrace: rawStack, returnvalue: rawReturn, progress: rawProgress} = fields;
	const opts = rawOpts?.cut ? {value: null, error: `not read whole: ${rawOpts.bytes} bytes`} : parseJson(rawOpts?.text, {});
	const stack = rawStack?.cut ? {value: stringsOfArrayText(rawStack.text)} : parseJson(rawStack?.text, []);
	const returnvalue = rawReturn?.cut ? {value: null} : parseJson(rawReturn?.text, null);
	const progress = rawProgress?.cut ? {value: `${rawProgress.text}…`} : parseJson(rawProgress?.text, 0);
	return {
		...summarize(queue, id, state, fields),
		opts: opts.value,
		...(opts.error ? {optsError: opts.error} : {}),
		stacktrace: Array.isArray(stack.value) ? stack.value.map(String) : rawStack?.text ? [rawStack.text] : [],
		...(rawStack?.cut ? {stacktraceTruncated: true, stacktraceBytes: rawStack.bytes} : {}),
		returnvalue: returnvalue.error ? (text('returnvalue') ?? null) : returnvalue.value,
		...(rawReturn?.cut ? {returnvalueTruncated: true, returnvalueBytes: rawReturn.bytes, ...(rawReturn.text ? {returnvaluePreview: rawReturn.text} : {})} : {}),
		progress: progress.error ? (text('progress') ?? null) : progress.value,
		attemptsStarted: toNumber(text('ats')) ?? 0,
		parent: text('parentKey') ?? null,
		processedBy: text('pb') ?? null,
		logs,
	};
}

/** A whole job hash; undefined when the key is not a hash. */
async function readWhole(connection: Connection, key: string): Promise<Fields | undefined> {
	const pipeline = connection.client.pipeline();
	pipeline.hgetall(key);
	const [reply] = await exec(connection, pipeline);
	return reply && !reply[0] ? wholeFields(reply[1] as Record<string, string>) : undefined;
}

/** A job's large fields as stored (UTF-8 bytes), for the pager: null when absent. */
export type JobTexts = {name: string; data: Buffer | null; failedReason: Buffer | null; stacktrace: Buffer | null; returnvalue: Buffer | null};

/**
 * A job's large fields whole, as bytes, unparsed and undecoded: the pager's
 * file is made from them a piece at a time. Decoding 20 MB into one string
 * (what a string reply does) holds the event loop for a tenth of a second or
 * more; parsing it, for a quarter. An id that is not a job is a UserError.
 */
export async function getJobTexts(connection: Connection, queue: string, id: string): Promise<JobTexts> {
	const pipeline = connection.client.pipeline();
	pipeline.hmgetBuffer(jobKey(connection.prefix, queue, id), 'timestamp', 'name', 'data', 'failedReason', 'stacktrace', 'returnvalue');
	const [reply] = await exec(connection, pipeline);
	const [timestamp, name, data, failedReason, stacktrace, returnvalue] = (reply && !reply[0] ? reply[1] : []) as Array<Buffer | null>;
	if (!timestamp) throw notFound(queue, id);
	return {name: name?.toString() ?? '', data: data ?? null, failedReason: failedReason ?? null, stacktrace: stacktrace ?? null, returnvalue: returnvalue ?? null};
}
