/**
 * Registered processes, foreign BullMQ workers, schedules, services and log
 * lines → table rows and strings (pure; `now` is a parameter). The cells are
 * raw: whoever draws them sanitizes (List does, renderTable does).
 */
import type {ScheduleStatus} from '../data/schedules.js';
import type {ForeignWorker, RegisteredProcess} from '../data/workers.js';
import {lineFacts, type LogLine} from '../common/log-line.js';
import type {ServiceStatus} from '../process/services.js';
import {formatDuration} from '../util/duration.js';
import {sanitizeLine} from '../common/sanitize.js';
import {formatBytes, formatRelative, formatTime} from './format.js';
import type {TableRow, Tone} from './table-model.js';
import type {DetailLine} from './job-rows.js';
import {wrapSegments} from './text-rows.js';

const age = (since: number, now: number): string => (since > 0 ? formatDuration(Math.max(0, now - since)) : '-');

export const processHead = ['ID', 'KIND', 'HOST', 'PID', 'STATE', 'QUEUES', 'RUNNING', 'PROCESSED', 'FAILED', 'RSS', 'UP', 'BEAT', 'CURRENT', 'UNIT'];
/** What a narrow terminal leaves out first, in order: UNIT, KIND, UP, CURRENT, RSS, PID, PROCESSED, FAILED. The heartbeat's age (is it alive?) stays. */
export const processDrop = [13, 1, 10, 12, 9, 3, 7, 8];
/** Right-aligned columns of processHead. */
export const processNumeric = new Set([3, 6, 7, 8, 9]);

export const processRow = (entry: RegisteredProcess, now = Date.now()): string[] => [
	entry.id,
	entry.kind,
	entry.host,
	String(entry.pid),
	entry.state,
	entry.queues.join(',') || '-',
	entry.kind === 'worker' ? `${entry.current.length}/${entry.concurrency}` : '-',
	String(entry.processed),
	String(entry.failed),
	formatBytes(entry.rss),
	age(entry.started, now),
	entry.heartbeat > 0 ? `${Math.max(0, Math.round((now - entry.heartbeat) / 1000))}s ago` : '-',
	entry.current.join(' ') || '-',
	entry.unit ?? '-',
];

export const foreignHead = ['QUEUE', 'CONNECTION', 'ADDRESS', 'CONNECTED', 'IDLE'];

export const foreignRow = (worker: ForeignWorker): string[] => [worker.queue, worker.name, worker.addr, formatDuration(worker.age * 1000), `${worker.idle}s`];

export const scheduleHead = ['SCHEDULE', 'QUEUE', 'CRON', 'TIME ZONE', 'NEXT RUN', 'LAST RUN', 'MISSED (24h)', 'IN REDIS'];
/** Left out first on a narrow terminal: CRON (the next run shows what it means), TIME ZONE (the console's status line names a shared one), IN REDIS, QUEUE. LAST RUN and its outcome stay: "did last night's reports run?" */
export const scheduleDrop = [2, 3, 7, 1];
export const scheduleNumeric = new Set([6]);

export const scheduleRow = (status: ScheduleStatus, now = Date.now()): string[] => [
	status.id,
	status.queue,
	status.cron ?? '(no longer configured)',
	status.timezone,
	status.nextRun !== null
		? `${formatTime(status.nextRun, status.timezone)} (${formatRelative(status.nextRun, now)})`
		: status.expectedNextRun !== null ? `${formatTime(status.expectedNextRun, status.timezone)} (expected; not in Redis)` : '-',
	status.lastRun ? `${formatTime(status.lastRun.time, status.timezone)} ${status.lastRun.state}` : '-',
	String(status.missed.length),
	status.inRedis ? 'yes' : 'NO: is the scheduler running?',
];

export const serviceHead = ['SERVICE', 'UNIT', 'STATE', 'PID', 'SINCE', 'RESTARTS', 'MEMORY', 'ENABLED', 'BACKEND', 'REASON'];
/** Left out first on a narrow terminal: BACKEND, UNIT, ENABLED (REASON, the widest, is cut instead; STATE never). */
export const serviceDrop = [8, 1, 7];
/** Never cut: a service's state. */
export const serviceKeep: ReadonlySet<number> = new Set([2]);
export const serviceNumeric = new Set([3, 5, 6]);

export const serviceRow = (status: ServiceStatus, now = Date.now()): string[] => [
	status.name,
	status.unit,
	status.state,
	status.pid === null ? '-' : String(status.pid),
	status.since === null ? '-' : formatRelative(status.since, now),
	String(status.restarts),
	status.memory === null ? '-' : formatBytes(status.memory),
	status.enabled === null ? '-' : status.enabled ? 'yes' : 'no',
	status.backend === 'systemd' ? 'systemd' : 'local',
	status.reason ?? '-',
];

/**
 * Why a failed service is failed and when it was given up, on one line, the reason before the time (a
 * narrow terminal cuts the end): `worker@high failed: exited with code 2 at once …: unknown log level
 * "loud" … (at 2026-12-04 15:50:13, 3m ago)`. Null when it has no reason.
 */
export const serviceReason = (status: ServiceStatus, now = Date.now(), timeZone?: string): string | null =>
	status.reason === null ? null : `${status.name} failed: ${status.reason}${status.failedAt === null ? '' : ` (at ${formatTime(status.failedAt, timeZone)}, ${formatRelative(status.failedAt, now)})`}`;

/** pino's numeric levels, for lines written by something other than our logger. */
const LEVELS: Record<number, string> = {10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal'};

export type LogParts = {
	/** Time in the console's zone, '-' when the line has none. */
	time: string;
	service: string;
	/** Upper-case level word of a JSON line (INFO, WARN, ERROR…), else null. */
	level: string | null;
	/** The readable rest: msg, queue/jobId (name) attempt, duration, err; or the raw text. */
	body: string;
};

const text = (value: unknown): string => (typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : value === null || value === undefined ? '' : JSON.stringify(value));

/**
 * One log line as people read it. A worker's JSON line becomes
 * `ERROR job failed emails/42 (send) attempt 2 1.2s err: timeout`; anything
 * else keeps its raw text. Not sanitized: the caller does, after this.
 */
export function formatLogLine(line: LogLine, timeZone?: string): LogParts {
	const head = {time: formatTime(line.time, timeZone), service: line.service};
	const fields = lineFacts(line.text).fields;
	if (!fields || typeof fields !== 'object' || Array.isArray(fields) || (fields['msg'] === undefined && fields['level'] === undefined)) return {...head, level: null, body: line.text};
	const rawLevel = fields['level'];
	const level = typeof rawLevel === 'number' ? (LEVELS[rawLevel] ?? String(rawLevel)) : text(rawLevel);
	const parts = [text(fields['msg'])];
	if (fields['queue'] !== undefined || fields['jobId'] !== undefined) parts.push(`${text(fields['queue']) || '?'}/${text(fields['jobId']) || '?'}`);
	if (fields['jobName'] !== undefined) parts.push(`(${text(fields['jobName'])})`);
	if (fields['attempt'] !== undefined) parts.push(`attempt ${text(fields['attempt'])}`);
	if (typeof fields['durationMs'] === 'number') parts.push(formatDuration(fields['durationMs']));
	const err = fields['err'];
	if (err !== undefined && err !== null) parts.push(`err: ${typeof err === 'object' && 'message' in err ? text((err as {message: unknown}).message) : text(err)}`);
	return {...head, level: level ? level.toUpperCase() : null, body: parts.filter(Boolean).join(' ')};
}

/** The whole line as one string (for a plain-text log, or a filter to search). */
export const logLineText = (parts: LogParts): string => `${parts.time} ${parts.service} ${parts.level ? `${parts.level} ` : ''}${parts.body}`;

/** The job a JSON line names (`queue` and `jobId`), or null. */
export function jobOfLine(line: LogLine): {queue: string; id: string} | null {
	const fields = lineFacts(line.text).fields;
	if (!fields || typeof fields !== 'object' || fields['jobId'] === undefined || fields['jobId'] === null || fields['queue'] === undefined) return null;
	return {queue: text(fields['queue']), id: text(fields['jobId'])};
}

/** A field's value as text: strings as written, anything else as JSON. */
const fieldText = (value: unknown): string => {
	if (typeof value === 'string') return value;
	try {
		return JSON.stringify(value) ?? String(value);
	} catch {
		return String(value);
	}
};

/** Nested objects (err: {type, message, stack}) as dotted names, two levels deep; deeper ones as JSON. */
function flatten(fields: Record<string, unknown>, into: Array<[string, unknown]>, prefix = '', depth = 0): void {
	for (const [name, value] of Object.entries(fields)) {
		const key = `${prefix}${name}`;
		if (value !== null && typeof value === 'object' && !Array.isArray(value) && depth < 2) flatten(value as Record<string, unknown>, into, `${key}.`, depth + 1);
		else into.push([key, value]);
	}
}

/**
 * Every field of one log line, to read it whole: time (in the console's
 * zone), level, service, pid, message, then the JSON line's other fields in
 * their own order (job, attempt, err.message, err.stack…), a duration also
 * as people say it; a line that is not JSON shows its text. Multi-line values
 * (stack traces) keep their lines, and a long one wraps, under the value's
 * column (`width`: the columns there are). Sanitized.
 */
export function logLineDetail(line: LogLine, timeZone?: string, width = Number.POSITIVE_INFINITY): DetailLine[] {
	const fields = lineFacts(line.text).fields;
	const json = fields && typeof fields === 'object' && !Array.isArray(fields) ? fields : null;
	const rawLevel = json?.['level'];
	const pairs: Array<[string, unknown]> = [['time', formatTime(line.time, timeZone)]];
	if (json && rawLevel !== undefined) pairs.push(['level', typeof rawLevel === 'number' ? (LEVELS[rawLevel] ?? rawLevel) : rawLevel]);
	pairs.push(['service', line.service], ['pid', line.pid ?? json?.['pid'] ?? '-']);
	if (json) {
		if (json['msg'] !== undefined) pairs.push(['msg', json['msg']]);
		const rest: Record<string, unknown> = {};
		for (const [name, value] of Object.entries(json)) if (!['time', 'level', 'pid', 'msg'].includes(name)) rest[name] = value;
		flatten(rest, pairs);
	} else pairs.push(['text', line.text]);
	const names = Math.min(14, Math.max(...pairs.map(([name]) => name.length)));
	const indent = ' '.repeat(names + 2);
	const lines: DetailLine[] = [];
	for (const [name, value] of pairs) {
		const shown = name === 'durationMs' && typeof value === 'number' ? `${value} (${formatDuration(value)})` : fieldText(value);
		const tone = name === 'level' && /error|fatal/i.test(shown) ? {tone: 'error' as const} : {};
		// Each line of the value, wrapped under the value's column, never under the names.
		const rows = shown.split(/\r?\n/).flatMap(part => wrapSegments([{text: sanitizeLine(part)}], Math.max(20, width - indent.length), DETAIL_ROWS).map(row => row.map(segment => segment.text).join('')));
		rows.forEach((row, index) => lines.push({text: `${index === 0 ? sanitizeLine(name).padEnd(names) + '  ' : indent}${row}`, ...tone}));
	}
	return lines;
}

/** A worker as a table row: red when its heartbeat is late (dying or dead), yellow when paused or stopping. */
export function processTableRow(entry: RegisteredProcess, now = Date.now()): TableRow {
	const late = entry.heartbeat > 0 && now - entry.heartbeat > 10_000;
	const tone: Tone = late ? 'bad' : entry.state === 'paused' || entry.state === 'stopping' ? 'warn' : undefined;
	return {id: entry.id, cells: processRow(entry, now), tone, sortKeys: [null, null, null, entry.pid, null, null, entry.current.length, entry.processed, entry.failed, entry.rss, -entry.started, now - entry.heartbeat], ...(entry.failed > 0 ? {cellTones: {8: 'bad'}} : {})};
}

/** A schedule as a table row: red when not in Redis or its last run failed, yellow when runs were missed. */
export function scheduleTableRow(status: ScheduleStatus, now = Date.now()): TableRow {
	const failed = status.lastRun?.state === 'failed';
	const tone: Tone = (status.configured && !status.inRedis) || failed ? 'bad' : status.missed.length > 0 ? 'warn' : undefined;
	return {id: status.id, cells: scheduleRow(status, now), tone, sortKeys: [null, null, null, null, status.nextRun ?? status.expectedNextRun, status.lastRun?.time ?? null, status.missed.length, null]};
}

/** A service as a table row: red when failed, stopped or given up, yellow while it starts, stops or backs off. */
export function serviceTableRow(status: ServiceStatus, now = Date.now()): TableRow {
	const tone: Tone = status.state === 'failed' || status.state === 'stopped' ? 'bad' : status.state === 'running' ? undefined : status.state === 'not-installed' ? undefined : 'warn';
	return {id: status.name, cells: serviceRow(status, now), tone, sortKeys: [null, null, null, status.pid, status.since === null ? null : -status.since, status.restarts, status.memory, null, null, null]};
}

/** A value line longer than this many rows of the detail shows that many, then `…`. */
const DETAIL_ROWS = 200;

/** One buffered log line, formatted and sanitized once, as the logs view keeps it: `line` itself for its detail, and the job it names. */
export type LogEntry = {seq: number; time: string; service: string; level: string | null; body: string; search: string; line: LogLine; job: {queue: string; id: string} | null};
