/**
 * A search over a whole state of a queue (`jobs --grep`, the console's
 * `:find`): the state's ids are walked in pages, newest first as the jobs
 * pages show them, and each job is matched, in any case, by its id, its name,
 * its failed reason and its data (the JSON text as stored) — the first
 * `fieldBytes` of each.
 *
 * Each page is one read-only script (lua/search-page.lua) that holds Redis
 * for a few milliseconds at most: a few hundred jobs, a budget of bytes
 * copied, and no field larger than `UNREAD_ABOVE` read at all (cutting a hash
 * field costs the server a copy of all of it: ~0.1 s for 20 MB). Such jobs
 * are counted in `unread`, so the coverage said is the coverage had. It
 * stops at `maxScanned` jobs or when `signal` aborts, between two pages, and
 * says so (`complete`, `stoppedBy`).
 *
 * A state that changes while it is searched (jobs failing, retried) shifts
 * under the index: a job may be missed, or met twice (counted once).
 */
import {UserError} from '../errors.js';
import {JOB_STATES, type JobState, type JobSummary, type SearchProgress, type SearchResult} from '../common/types.js';
import {toUserError, type Connection, type RedisClient} from './connection.js';
import {queueKey, stateKey} from './keys.js';
import {summarize} from './jobs.js';
import {callScript, defineScript} from './scripts.js';

/** The default of `limits.searchMaxScanned`. */
export const DEFAULT_MAX_SCANNED = 10_000;
/** The most `maxScanned` may be (the ids met are remembered, to count a job met twice once). */
export const MAX_SCANNED_LIMIT = 1_000_000;
/** Jobs per page (one script). */
export const SEARCH_PAGE = 250;
/** Matches carried at most; the rest are counted. */
export const MAX_MATCHES = 200;
/** How much of each job's name, failed reason and data is searched. */
export const SEARCH_FIELD_BYTES = 16 * 1024;
/** A failed reason or data larger than this is not read (only its size). */
export const UNREAD_ABOVE = 256 * 1024;
/** Bytes one page may copy on the server before it ends. */
const PAGE_BYTES = 1024 * 1024;
/** The time one page may hold the server, in microseconds (checked every 16 jobs). */
const PAGE_MICROSECONDS = 1500;

export type SearchOptions = {
	/** Stop after this many jobs (default DEFAULT_MAX_SCANNED). */
	maxScanned?: number;
	/** Jobs per page (1–1000, default SEARCH_PAGE). */
	pageSize?: number;
	/** Matches carried (default MAX_MATCHES). */
	maxMatches?: number;
	/** Bytes of each field searched (default SEARCH_FIELD_BYTES). */
	fieldBytes?: number;
	/** Stops the search between two pages. */
	signal?: AbortSignal;
	/** After each page. */
	onProgress?: (progress: SearchProgress) => void;
};

/** A field as a page read it (the shape `summarize` takes). */
type Field = {text: string; bytes: number; cut: boolean};
type Row = {id: string; fields: Record<string, Field> | undefined};
/** `unreadAbove`: a failed reason or data larger than this was not read (only its size). */
type Page = {total: number; taken: number; rows: Row[]; unreadAbove: number};

const SMALL_FIELDS = ['timestamp', 'attemptsMade', 'atm', 'processedOn', 'finishedOn', 'delay', 'priority'] as const;
const LARGE_FIELDS = ['name', 'failedReason', 'data'] as const;

/** Clients whose server refused the script (an ACL user without @scripting): read with plain commands. */
const scriptless = new WeakSet<RedisClient>();
const scriptRefused = (error: unknown): boolean => error instanceof Error && /NOPERM|unknown command/i.test(error.message);

/** Where to read from, in the order the jobs pages show: next to run first; newest first for completed and failed. */
const orderOf = (state: JobState): 'list' | 'rev' | 'fwd' =>
	state === 'waiting' || state === 'active' ? 'list' : state === 'completed' || state === 'failed' ? 'rev' : 'fwd';

function checkInput(state: string, text: string, options: SearchOptions): {state: JobState; needle: string; maxScanned: number; pageSize: number} {
	if (!(JOB_STATES as readonly string[]).includes(state)) {
		throw new UserError('usage', `unknown state "${state}"`, `use one of: ${JOB_STATES.join(', ')}`);
	}
	if (text.trim() === '') throw new UserError('usage', 'the text to search for is empty', 'e.g. --grep +255712345678');
	const maxScanned = options.maxScanned ?? DEFAULT_MAX_SCANNED;
	if (!Number.isInteger(maxScanned) || maxScanned < 1 || maxScanned > MAX_SCANNED_LIMIT) {
		throw new UserError('usage', `the scan limit must be a whole number from 1 to ${MAX_SCANNED_LIMIT.toLocaleString('en-US')}`, 'e.g. --max-scan 50000');
	}
	const pageSize = Math.max(1, Math.min(options.pageSize ?? SEARCH_PAGE, 1000));
	return {state: state as JobState, needle: text.toLowerCase(), maxScanned, pageSize};
}

/** A job whose failed reason or data was too large to read (it has a size and no text). */
const isUnread = (row: Row): boolean => (['failedReason', 'data'] as const).some(name => row.fields?.[name]?.text === '' && row.fields[name].bytes > 0);

/** Does the job hold the text (any case) in its id, name, failed reason or data, as far as they were read? */
const matches = (row: Row, needle: string): boolean =>
	row.id.toLowerCase().includes(needle) || LARGE_FIELDS.some(name => row.fields?.[name]?.text.toLowerCase().includes(needle) === true);

/**
 * Searches the jobs of one state of `queue` for `text`: the matches (at most
 * `maxMatches`, newest first) and how far it went.
 */
export async function searchJobs(connection: Connection, queue: string, stateName: string, text: string, options: SearchOptions = {}): Promise<SearchResult> {
	const {state, needle, maxScanned, pageSize} = checkInput(stateName, text, options);
	const fieldBytes = options.fieldBytes ?? SEARCH_FIELD_BYTES;
	const maxMatches = options.maxMatches ?? MAX_MATCHES;
	const seen = new Set<string>();
	const found: JobSummary[] = [];
	let index = 0;
	let total = 0;
	let matched = 0;
	let unread = 0;
	let unreadAbove = UNREAD_ABOVE;
	let stoppedBy: SearchResult['stoppedBy'];
	for (let end = false; !end;) {
		if (options.signal?.aborted) stoppedBy = 'signal';
		else if (seen.size >= maxScanned) stoppedBy = 'limit';
		if (stoppedBy) break;
		const page = await readPage(connection, queue, state, index, Math.min(pageSize, maxScanned - seen.size), fieldBytes);
		total = page.total;
		index += page.taken;
		unreadAbove = Math.min(unreadAbove, page.unreadAbove);
		for (const row of page.rows) {
			if (seen.has(row.id)) continue;
			seen.add(row.id);
			if (isUnread(row)) unread++;
			if (!row.fields || !matches(row, needle)) continue;
			matched++;
			if (found.length < maxMatches) found.push(summarize(queue, row.id, state, row.fields));
		}
		options.onProgress?.({scanned: seen.size, total, matched});
		end = page.taken === 0 || index >= total;
	}
	return {
		queue, state, text, matches: found, matched, scanned: seen.size, total,
		complete: stoppedBy === undefined,
		...(stoppedBy ? {stoppedBy} : {}),
		fieldBytes, unread, unreadAbove,
	};
}

/** One page: through the script, or with plain commands when the server refuses scripts. */
async function readPage(connection: Connection, queue: string, state: JobState, start: number, count: number, fieldBytes: number): Promise<Page> {
	const {client} = connection;
	if (!scriptless.has(client)) {
		defineScript(client, 'search-page', 1);
		try {
			const reply = (await callScript(client, 'search-page', [stateKey(connection.prefix, queue, state)], [queueKey(connection.prefix, queue, ''), orderOf(state), start, count, fieldBytes, UNREAD_ABOVE, PAGE_BYTES, PAGE_MICROSECONDS])) as unknown[];
			return parseScriptPage(reply, fieldBytes);
		} catch (error) {
			if (!scriptRefused(error)) throw toUserError(error, connection.where);
			scriptless.add(client);
		}
	}
	return readPageScriptless(connection, queue, state, start, count, fieldBytes);
}

const field = (value: unknown, bytes: number, cap: number): Field | undefined => {
	if (typeof value === 'string') return {text: value, bytes, cut: bytes > cap};
	// Not read (too large to read without holding Redis), but there.
	return bytes > 0 ? {text: '', bytes, cut: true} : undefined;
};

/** {total, taken, then 14 values per job} → rows (see lua/search-page.lua). */
function parseScriptPage(reply: unknown[], cap: number): Page {
	const rows: Row[] = [];
	for (let at = 2; at + 14 <= reply.length; at += 14) {
		const id = String(reply[at]);
		const timestamp = reply[at + 7];
		if (typeof timestamp !== 'string') {
			rows.push({id, fields: undefined}); // vanished, or not a job
			continue;
		}
		const fields: Record<string, Field> = {};
		LARGE_FIELDS.forEach((name, index) => {
			const read = field(reply[at + 1 + index * 2], Number(reply[at + 2 + index * 2]), cap);
			if (read) fields[name] = read;
		});
		SMALL_FIELDS.forEach((name, index) => {
			const value = reply[at + 7 + index];
			if (typeof value === 'string') fields[name] = {text: value, bytes: Buffer.byteLength(value), cut: false};
		});
		rows.push({id, fields});
	}
	return {total: Number(reply[0]), taken: Number(reply[1]), rows, unreadAbove: UNREAD_ABOVE};
}

type Reply = [Error | null, unknown];

async function exec(connection: Connection, pipeline: ReturnType<RedisClient['pipeline']>): Promise<Reply[]> {
	try {
		const replies = ((await pipeline.exec()) ?? []) as Reply[];
		const failed = replies.find(([error]) => error && !/WRONGTYPE/.test(error.message));
		if (failed) throw failed[0];
		return replies;
	} catch (error) {
		throw toUserError(error, connection.where);
	}
}

/**
 * The same page with plain commands (a Redis user without @scripting): ids
 * and sizes, then the fields no larger than `cap` (a larger one is not read:
 * HMGET would send it whole). Three round trips.
 */
async function readPageScriptless(connection: Connection, queue: string, state: JobState, start: number, count: number, cap: number): Promise<Page> {
	const key = stateKey(connection.prefix, queue, state);
	const order = orderOf(state);
	const first = connection.client.pipeline();
	if (order === 'list') first.llen(key).lrange(key, -(start + count), -(start + 1));
	else if (order === 'rev') first.zcard(key).zrevrange(key, start, start + count - 1);
	else first.zcard(key).zrange(key, start, start + count - 1);
	const [sizeReply, rangeReply] = await exec(connection, first);
	const size = Number(sizeReply?.[1] ?? 0);
	const range = (rangeReply?.[1] ?? []) as string[];
	const ids = order === 'list' ? [...range].reverse() : range;
	const jobKey = (id: string) => queueKey(connection.prefix, queue, id);
	const sizes = connection.client.pipeline();
	for (const id of ids) {
		for (const name of LARGE_FIELDS) sizes.hstrlen(jobKey(id), name);
		sizes.hmget(jobKey(id), ...SMALL_FIELDS);
	}
	const sized = await exec(connection, sizes);
	const step = LARGE_FIELDS.length + 1;
	const reads = connection.client.pipeline();
	const plans = ids.map((id, k) => {
		const bytes = LARGE_FIELDS.map((_, index) => Number(sized[k * step + index]?.[1] ?? 0));
		const small = sized[k * step + LARGE_FIELDS.length]?.[1] as Array<string | null> | undefined;
		const wanted = LARGE_FIELDS.filter((_, index) => bytes[index]! > 0 && bytes[index]! <= cap);
		if (wanted.length > 0) reads.hmget(jobKey(id), ...wanted);
		return {id, bytes, small, wanted};
	});
	const values = await exec(connection, reads);
	let next = 0;
	const rows = plans.map(({id, bytes, small, wanted}): Row => {
		const read = wanted.length > 0 ? (values[next++]?.[1] as Array<string | null>) : [];
		if (!small || typeof small[0] !== 'string') return {id, fields: undefined};
		const fields: Record<string, Field> = {};
		LARGE_FIELDS.forEach((name, index) => {
			const at = wanted.indexOf(name);
			const made = field(at === -1 ? undefined : read[at], bytes[index]!, cap);
			if (made) fields[name] = made;
		});
		SMALL_FIELDS.forEach((name, index) => {
			if (typeof small[index] === 'string') fields[name] = {text: small[index], bytes: small[index].length, cut: false};
		});
		return {id, fields};
	});
	return {total: size, taken: ids.length, rows, unreadAbove: cap};
}
