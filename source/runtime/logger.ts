/**
 * Worker and scheduler logs: one JSON object per line on stdout, which
 * journald stores as is:
 *
 *   {"level":"info","PRIORITY":6,"time":"…","process":"worker","pid":7,"workerId":"…","queue":"high","jobId":"42",…,"msg":"job completed"}
 *
 * Messages are constants of this code and never carry job data; error text,
 * the one thing that may quote a secret, goes through `errorFields`, which
 * redacts it. Values are JSON-escaped, and so are the C1 controls and the
 * Unicode line separators JSON would leave raw, so a line stays one line and
 * inert on any terminal that shows it.
 *
 * Hand-written rather than pino: a busy worker writes one line per job, and
 * pino (with the level word, the journald PRIORITY and an ISO time) cost
 * 7.3 µs a line here against 0.4 µs for this — most of the worker's overhead
 * over a bare BullMQ Worker (bench/worker-throughput.js).
 */
import {redact} from '../common/redact.js';
import {fstatSync, readlinkSync} from 'node:fs';
import {UserError} from '../errors.js';
import {DroppedLines, linesIn, writeFullySync, type WriteFailure} from '../util/lossy-write.js';

export type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
type Fields = Record<string, unknown>;
type LogMethod = {
	(fields: Fields, msg: string): void;
	(msg: string): void;
};
export type Logger = {[level in Level]: LogMethod} & {
	child(bindings: Fields): Logger;
};

const rank: Record<Level, number> = {trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60};
/** The syslog priority journald files each line under. */
const priority: Record<Level, number> = {trace: 7, debug: 7, info: 6, warn: 4, error: 3, fatal: 2};
const levels = Object.keys(rank) as Level[];

const unsafe = /[\u007F-\u009F\u2028\u2029]/;
const unsafeAll = /[\u007F-\u009F\u2028\u2029]/g;
const hex = (char: string) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** Printable ASCII other than `"` and `\`: a string that needs no escaping. */
const plain = /^[\u0020\u0021\u0023-\u005B\u005D-\u007E]*$/;

/** JSON for one value, with nothing in it a terminal could act on. */
function jsonValue(value: unknown): string {
	if (typeof value === 'string' && plain.test(value)) return `"${value}"`;
	if (typeof value === 'number' && Number.isFinite(value)) return String(value);
	const json = JSON.stringify(value) ?? 'null';
	return unsafe.test(json) ? json.replace(unsafeAll, hex) : json;
}

/** `,"key":` for the field names this code uses (a handful of constants). */
const keys = new Map<string, string>();
const keyOf = (key: string): string => {
	let head = keys.get(key);
	if (head === undefined) {
		head = `,${jsonValue(key)}:`;
		if (keys.size < 1000) keys.set(key, head);
	}
	return head;
};

/** `,"key":value` for each defined field. */
function serialize(fields: Fields): string {
	let out = '';
	for (const key in fields) {
		const value = fields[key];
		if (value !== undefined) out += keyOf(key) + jsonValue(value);
	}
	return out;
}

// ---------------------------------------------------------------------------
// The sink: lines are gathered and written out in chunks (at 64 KB, within
// 100 ms, and at exit): a write(2) per line cost a busy worker a fifth of its
// throughput.

const FLUSH_BYTES = 64 * 1024;
const FLUSH_MS = 100;
let buffer = '';
let timer: NodeJS.Timeout | undefined;
let out: (chunk: string) => void = chunk => void process.stdout.write(chunk);
let exitHooked = false;

/**
 * Writing to stdout when it is a file (`worker >> worker.log`): as process.stdout
 * would, but a full or read-only disk drops and counts lines instead of ending
 * the worker (process.stdout emits the error, and an unheard 'error' is fatal),
 * and the first line that fits afterwards says how many were dropped.
 */
function fileOut(notice: (count: number, msg: string) => string): (chunk: string) => void {
	let name = 'on stdout';
	try {
		name = `${readlinkSync('/proc/self/fd/1')} (stdout)`;
	} catch {
		// not Linux: "stdout" says enough
	}
	const dropped = new DroppedLines(name);
	// A line cut by a write that failed half-way (stdout cannot be truncated: it may be shared): end it first.
	let cut = false;
	return chunk => {
		const pending = dropped.notice;
		const head = Buffer.from(`${cut ? '\n' : ''}${pending ? notice(pending.count, pending.msg) : ''}`);
		const bytes = head.length > 0 ? Buffer.concat([head, Buffer.from(chunk)]) : Buffer.from(chunk);
		try {
			writeFullySync(1, bytes);
			dropped.clear();
			cut = false;
		} catch (error) {
			const written = (error as WriteFailure).written ?? 0;
			if (written > 0) cut = bytes[written - 1] !== 10;
			if (written >= head.length) dropped.clear();
			dropped.drop(linesIn(bytes.subarray(Math.max(written, head.length))), error);
		}
	};
}

/** Writes out whatever is buffered (on exit, and at most 100 ms after a line). */
export function flushLogs(): void {
	if (timer) {
		clearTimeout(timer);
		timer = undefined;
	}
	if (buffer === '') return;
	const chunk = buffer;
	buffer = '';
	try {
		out(chunk);
	} catch {
		// stdout is gone: nothing sensible left to do with a log line
	}
}

function append(line: string): void {
	buffer += line;
	if (buffer.length >= FLUSH_BYTES) flushLogs();
	else if (!timer) {
		timer = setTimeout(flushLogs, FLUSH_MS);
		timer.unref();
	}
}

let lastMs = 0;
let lastIso = '';
/** ISO time, built once per millisecond. */
function isoNow(): string {
	const now = Date.now();
	if (now !== lastMs) {
		lastMs = now;
		lastIso = new Date(now).toISOString();
	}
	return lastIso;
}

function makeLogger(bindings: string, threshold: number): Logger {
	const method = (level: Level): LogMethod => {
		if (rank[level] < threshold) return () => {};
		const head = `{"level":"${level}","PRIORITY":${priority[level]},"time":"`;
		return ((fieldsOrMsg: Fields | string, msg?: string) => {
			const text = typeof fieldsOrMsg === 'string' ? fieldsOrMsg : msg ?? '';
			const fields = typeof fieldsOrMsg === 'string' ? '' : serialize(fieldsOrMsg);
			append(`${head}${isoNow()}"${bindings}${fields},"msg":${jsonValue(text)}}\n`);
		}) as LogMethod;
	};
	const logger = {child: (more: Fields) => makeLogger(bindings + serialize(more), threshold)} as Logger;
	for (const level of levels) logger[level] = method(level);
	return logger;
}

/**
 * A logger for a long-running process; `name` is "worker" or "scheduler".
 * SACCOS_QUEUE_LOG_LEVEL (trace…fatal, default info) sets the threshold;
 * `write` replaces stdout (tests).
 */
export function createLogger(name: string, options: {level?: string; write?: (chunk: string) => void} = {}): Logger {
	const wanted = options.level ?? process.env['SACCOS_QUEUE_LOG_LEVEL'] ?? 'info';
	if (!Object.hasOwn(rank, wanted)) throw new UserError('usage', `unknown log level "${wanted}" in SACCOS_QUEUE_LOG_LEVEL`, `use one of ${levels.join(', ')}`);
	const threshold = rank[wanted as Level];
	const bindings = serialize({process: name, pid: process.pid});
	if (options.write) out = options.write;
	else if (isFile(1)) out = fileOut((count, msg) => `{"level":"warn","PRIORITY":${priority.warn},"time":"${isoNow()}"${bindings},"dropped":${count},"msg":${jsonValue(msg)}}\n`);
	if (!exitHooked) {
		exitHooked = true;
		process.on('exit', flushLogs);
	}
	return makeLogger(bindings, threshold);
}

const isFile = (fd: number): boolean => {
	try {
		return fstatSync(fd).isFile();
	} catch {
		return false;
	}
};

/** An error reduced to what a log line may carry. */
export const errorFields = (error: unknown): {err: string} => ({err: redact(error instanceof Error ? error.message : String(error)).slice(0, 2000)});
