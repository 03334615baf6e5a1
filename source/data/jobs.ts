/**
 * Job pages and job detail, read straight from BullMQ's job hashes with
 * bounded ranges (never `end = -1`). Reading the hash ourselves, rather than
 * through Job.fromId, lets a job with corrupt data show `data: null` and a
 * `dataError` instead of breaking the page, and writes nothing (BullMQ's
 * getters may RPOP a legacy marker).
 */
import {UserError} from '../errors.js';
import {toUserError, type Connection} from './connection.js';
import {jobKey, stateKey} from './keys.js';
import {JOB_STATES, type JobDetail, type JobPage, type JobState, type JobSummary} from './types.js';

/** The largest page one call may read. */
export const MAX_PAGE = 1000;
/** How many of a job's log lines `getJob` returns (the newest). */
export const MAX_LOG_LINES = 200;

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

/** Turns a raw job hash into a summary; the hash must be a job's (has timestamp or name). */
export function summarize(queue: string, id: string, state: JobSummary['state'], hash: Record<string, string>): JobSummary {
	const data = parseJson(hash['data'], {});
	return {
		id,
		queue,
		name: hash['name'] ?? '',
		state,
		attemptsMade: toNumber(hash['attemptsMade'] ?? hash['atm']) ?? 0,
		failedReason: hash['failedReason'] ?? null,
		timestamp: toNumber(hash['timestamp']),
		processedOn: toNumber(hash['processedOn']),
		finishedOn: toNumber(hash['finishedOn']),
		delay: toNumber(hash['delay']) ?? 0,
		priority: toNumber(hash['priority']) ?? 0,
		data: data.value,
		...(data.error ? {dataError: data.error} : {}),
	};
}

const isJobHash = (hash: unknown): hash is Record<string, string> =>
	typeof hash === 'object' && hash !== null && 'timestamp' in hash;

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

/** Reads the hashes of `ids` in one pipeline; vanished jobs are skipped. */
async function readJobs(connection: Connection, queue: string, entries: Array<{id: string; state: JobSummary['state']}>): Promise<JobSummary[]> {
	if (entries.length === 0) return [];
	const pipeline = connection.client.pipeline();
	for (const entry of entries) pipeline.hgetall(jobKey(connection.prefix, queue, entry.id));
	const replies = await exec(connection, pipeline);
	const jobs: JobSummary[] = [];
	entries.forEach((entry, index) => {
		const reply = replies[index];
		if (!reply || reply[0]) return; // a key of another type: not a job
		if (isJobHash(reply[1])) jobs.push(summarize(queue, entry.id, entry.state, reply[1]));
	});
	return jobs;
}

/**
 * One page of a queue's jobs in one state, in BullMQ's getters' order: next
 * to run first for waiting, active, delayed, prioritized and
 * waiting-children; newest first for completed and failed. Two round trips
 * (ids with the total, then the hashes).
 */
export async function getJobPage(connection: Connection, queue: string, stateName: string, limit = 50, offset = 0): Promise<JobPage> {
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
	const jobs = await readJobs(connection, queue, ids.map(id => ({id, state})));
	return {queue, state, total, offset, limit, jobs};
}

/**
 * Failed jobs across `queues`, newest first. Each queue contributes at most
 * offset+limit ids (bounded), merged by failure time.
 */
export async function getFailedAcross(connection: Connection, queues: readonly string[], limit = 50, offset = 0): Promise<{total: number; offset: number; limit: number; jobs: JobSummary[]}> {
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
	const read = await Promise.all([...byQueue].map(async ([queue, entries]) => readJobs(connection, queue, entries)));
	const found = new Map(read.flat().map(job => [`${job.queue}\u0000${job.id}`, job]));
	const jobs = page.map(entry => found.get(`${entry.queue}\u0000${entry.id}`)).filter((job): job is JobSummary => job !== undefined);
	return {total, offset, limit, jobs};
}

/**
 * One job with everything an operator needs to understand a failure: data,
 * options, error, stack trace, attempts, its state and its newest log lines.
 * One round trip. An id that is not a job is a UserError (exit 2).
 */
export async function getJob(connection: Connection, queue: string, id: string): Promise<JobDetail> {
	const {prefix} = connection;
	const pipeline = connection.client.pipeline();
	pipeline.hgetall(jobKey(prefix, queue, id));
	pipeline.lpos(stateKey(prefix, queue, 'waiting'), id);
	pipeline.lpos(stateKey(prefix, queue, 'active'), id);
	const sets = JOB_STATES.filter(state => state !== 'waiting' && state !== 'active');
	for (const state of sets) pipeline.zscore(stateKey(prefix, queue, state), id);
	const logsKey = `${jobKey(prefix, queue, id)}:logs`;
	pipeline.llen(logsKey);
	pipeline.lrange(logsKey, -MAX_LOG_LINES, -1);
	const replies = await exec(connection, pipeline);
	const hash = replies[0]?.[0] ? undefined : replies[0]?.[1];
	if (!isJobHash(hash)) {
		throw new UserError('not-found', `no job "${id}" in queue "${queue}"`, `list job ids with \`saccos-queue jobs ${queue} --state failed\``);
	}
	let state: JobSummary['state'] = 'unknown';
	if (ok(connection, replies[1]) !== null) state = 'waiting';
	else if (ok(connection, replies[2]) !== null) state = 'active';
	else {
		sets.forEach((candidate, index) => {
			if (state === 'unknown' && ok(connection, replies[3 + index]) !== null) state = candidate;
		});
	}
	const logTotal = Number(ok(connection, replies[3 + sets.length]));
	const logLines = ok(connection, replies[4 + sets.length]) as string[];
	const opts = parseJson(hash['opts'], {});
	const stack = parseJson(hash['stacktrace'], []);
	const returnvalue = parseJson(hash['returnvalue'], null);
	const progress = parseJson(hash['progress'], 0);
	return {
		...summarize(queue, id, state, hash),
		opts: opts.value,
		...(opts.error ? {optsError: opts.error} : {}),
		stacktrace: Array.isArray(stack.value) ? stack.value.map(String) : hash['stacktrace'] ? [hash['stacktrace']] : [],
		returnvalue: returnvalue.error ? (hash['returnvalue'] ?? null) : returnvalue.value,
		progress: progress.error ? (hash['progress'] ?? null) : progress.value,
		attemptsStarted: toNumber(hash['ats']) ?? 0,
		parent: hash['parentKey'] ?? null,
		processedBy: hash['pb'] ?? null,
		logs: {total: logTotal, lines: logLines},
	};
}

