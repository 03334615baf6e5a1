/**
 * Registered processes, foreign BullMQ workers, schedules, services and log
 * lines → table rows and strings (pure; `now` is a parameter). The cells are
 * raw: whoever draws them sanitizes (List does, renderTable does).
 */
import type {ScheduleStatus} from '../data/schedules.js';
import type {ForeignWorker, RegisteredProcess} from '../data/workers.js';
import {lineFacts, type LogLine} from '../shared/log-line.js';
import type {ServiceStatus} from '../process/services.js';
import {formatDuration} from '../util/duration.js';
import {formatBytes, formatRelative, formatTime} from './format.js';
import type {TableRow, Tone} from './table-model.js';

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

/** One buffered log line, formatted and sanitized once, as the logs view keeps it. */
export type LogEntry = {seq: number; time: string; service: string; level: string | null; body: string; search: string};

const STEPS: Record<string, (page: number) => number> = {up: () => -1, down: () => 1, 'page-up': page => -page, 'page-down': page => page, top: () => -Infinity, bottom: () => Infinity};

/**
 * The slice of `lines` on a page whose bottom line is `anchor` (a line's
 * seq; null: the newest, following), and with a movement action, where the
 * anchor goes. Anchored to a line rather than an offset, the page stays
 * still while new lines arrive below it.
 */
export function logWindow(lines: ReadonlyArray<{seq: number}>, anchor: number | null, page: number, action?: string): {start: number; end: number; anchor: number | null; moved: boolean} {
	const last = lines.length - 1;
	const lowest = Math.min(page - 1, last);
	let bottom = last;
	if (anchor !== null) {
		while (bottom > lowest && lines[bottom]!.seq > anchor) bottom--;
	}
	const step = action === undefined ? undefined : STEPS[action];
	if (!step) return {start: Math.max(0, bottom - page + 1), end: bottom + 1, anchor, moved: false};
	const target = Math.max(lowest, Math.min(last, bottom + step(page)));
	return {start: Math.max(0, target - page + 1), end: target + 1, anchor: target >= last ? null : lines[target]!.seq, moved: true};
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
