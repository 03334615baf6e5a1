/**
 * Process logs from the local supervisor's files: the last N lines, a time
 * window, and following (through rotation). Lines are untrusted text; the
 * caller sanitizes them before they reach a terminal.
 */
import {closeSync, existsSync, fstatSync, openSync, readSync, statSync} from 'node:fs';
import {lineFacts, type LogLine} from '../common/log-line.js';
import {LOG_KEEP} from './rotating-log.js';

export type {LogLine} from '../common/log-line.js';

export type LogQuery = {
	lines?: number;
	sinceMs?: number;
	untilMs?: number;
	follow?: boolean;
	signal?: AbortSignal;
};

/*
 * Reading is bounded and linear: files are read in fixed-size Buffers, whole
 * lines are decoded (a newline byte never occurs inside a multi-byte UTF-8
 * character, so text cut at a newline is never garbled), and no file is ever
 * held as one string. A time window reads only the files and the part of a
 * file that can hold it (log times grow through a log and its rotated files,
 * so a bisection finds where a window starts), and stops once lines pass it.
 */
const CHUNK = 256 * 1024;
const PROBE = 16 * 1024;
const BLOCK = 64 * 1024;
const NEWLINE = 0x0a;
const BRACE = 0x7b;
/** Lines a little out of order (two processes writing one log) are still found at a window's edges. */
const SLACK_MS = 2000;

/**
 * The lines of bytes [start, end) of a file, first to last, read `chunkSize`
 * bytes at a time. With `fromLineStart`, a line cut by `start` is left out:
 * the lines are those that begin at or after it.
 */
function* forwardLines(fd: number, start: number, end: number, chunkSize = CHUNK, fromLineStart = false): Generator<string> {
	let position = start;
	// Skipping the cut line: begin one byte early and drop everything up to the first newline (none when start - 1 is one).
	let dropFirst = fromLineStart && start > 0;
	if (dropFirst) position -= 1;
	/** Bytes of a line not ended yet, in order. */
	let pending: Buffer[] = [];
	const chunk = Buffer.allocUnsafe(chunkSize);
	while (position < end) {
		const read = readSync(fd, chunk, 0, Math.min(chunkSize, end - position), position);
		if (read === 0) break;
		position += read;
		const last = chunk.lastIndexOf(NEWLINE, read - 1);
		if (last === -1) {
			pending.push(Buffer.from(chunk.subarray(0, read)));
			continue;
		}
		const whole = pending.length > 0 ? Buffer.concat([...pending, chunk.subarray(0, last)]) : chunk.subarray(0, last);
		const lines = whole.toString('utf8').split('\n');
		pending = last + 1 < read ? [Buffer.from(chunk.subarray(last + 1, read))] : [];
		if (dropFirst) {
			lines.shift();
			dropFirst = false;
		}
		yield* lines;
	}
	if (pending.length > 0 && !dropFirst) yield Buffer.concat(pending).toString('utf8');
}

/** The lines of bytes [0, end) of a file, last to first, as bytes (read backwards in blocks). */
function* backwardLines(fd: number, end: number): Generator<Buffer> {
	let position = end;
	/** Bytes of the line cut by the block's start, in order. */
	let pending: Buffer[] = [];
	while (position > 0) {
		const length = Math.min(BLOCK, position);
		position -= length;
		const block = Buffer.allocUnsafe(length);
		readSync(fd, block, 0, length, position);
		let stop = length;
		while (stop > 0) {
			const index = block.lastIndexOf(NEWLINE, stop - 1);
			if (index === -1) break;
			const piece = block.subarray(index + 1, stop);
			yield pending.length > 0 ? Buffer.concat([piece, ...pending]) : piece;
			pending = [];
			stop = index;
		}
		if (stop > 0) pending.unshift(block.subarray(0, stop));
	}
	if (pending.length > 0) yield Buffer.concat(pending);
}

/** The time of the last line before byte `end` that has one (null: none has). */
function lastTimeBefore(fd: number, end: number): number | null {
	for (const line of backwardLines(fd, end)) {
		if (line[0] !== BRACE) continue;
		const time = lineFacts(line.toString('utf8')).time;
		if (time !== null) return time;
	}
	return null;
}

/** The time of the first line that has one, among the lines beginning in [start, end). */
function firstTimeFrom(fd: number, start: number, end: number, chunkSize = CHUNK): number | null {
	for (const text of forwardLines(fd, start, end, chunkSize, true)) {
		const time = lineFacts(text).time;
		if (time !== null) return time;
	}
	return null;
}

/**
 * A byte offset where reading can start for lines from `sinceMs` on: the first
 * timed line beginning at or after it is older than `sinceMs` (or it is 0).
 * Bisection over the file, reading a few small blocks.
 */
function windowStart(fd: number, size: number, sinceMs: number): number {
	let low = 0;
	let high = size;
	while (high - low > CHUNK) {
		const middle = Math.floor((low + high) / 2);
		// A probe reads a few blocks at most: finding no timed line there, it moves the bound down (reading more, never less).
		const time = firstTimeFrom(fd, middle, Math.min(high, middle + 16 * PROBE), PROBE);
		if (time !== null && time < sinceMs) low = middle;
		else high = middle;
	}
	return low;
}

/** The last `count` lines of the open file, and the byte where the first of them begins. */
function tailLines(fd: number, size: number, count: number): {lines: string[]; start: number} {
	// Backwards in blocks, counting newline bytes; the blocks are kept as bytes and decoded once.
	const blocks: Buffer[] = [];
	let position = size;
	let newlines = 0;
	let start = -1;
	while (position > 0 && start === -1) {
		const length = Math.min(BLOCK, position);
		position -= length;
		const block = Buffer.allocUnsafe(length);
		readSync(fd, block, 0, length, position);
		blocks.push(block);
		// The file's final newline ends its last line; it does not begin another.
		let stop = position + length === size && block[length - 1] === NEWLINE ? length - 1 : length;
		while (stop > 0) {
			const index = block.lastIndexOf(NEWLINE, stop - 1);
			if (index === -1) break;
			if (++newlines === count) {
				start = position + index + 1;
				break;
			}
			stop = index;
		}
	}
	if (start === -1) start = 0;
	blocks.reverse();
	const lines = Buffer.concat(blocks).subarray(start - position).toString('utf8').split('\n');
	if (lines[lines.length - 1] === '') lines.pop();
	return {lines, start};
}

/*
 * Lines without a time of their own (stderr text: stack traces, Node
 * warnings) are written right after what caused them, so such a line takes
 * the time of the nearest earlier timed line of the same log. A log and its
 * rotated files are one stream cut at arbitrary lines (a stack trace can begin
 * in .1 and go on in the current file), so "earlier" reaches back into the
 * older rotated files. The time stays null only for lines before the log's
 * first timed line (nothing earlier is known).
 *
 * Such a leading line was written before the first timed line after it: that
 * is all that is known of its time. A window (--since, --job) keeps it when
 * that first timed line (in its file, or else a newer one; with none at all,
 * its file's modification time) is within the window. Its true time is at
 * most that bound, and usually just before it (a warning printed as a service
 * starts, before its first JSON line): so it is shown with the moment it led
 * up to, and left out when that moment is outside the window. Time-wise it
 * stays null: it is not known.
 */

type OpenLog = {fd: number; size: number; mtimeMs: number};

function openLog(path: string): OpenLog | undefined {
	try {
		const fd = openSync(path, 'r');
		const stat = fstatSync(fd);
		return {fd, size: stat.size, mtimeMs: stat.mtimeMs};
	} catch {
		return undefined;
	}
}

/** The log's files, oldest first (the rotated ones are older), opened together so a rotation meanwhile does not shift them. */
function openLogs(file: string, rotated: boolean): OpenLog[] {
	const paths = rotated ? Array.from({length: LOG_KEEP}, (_, index) => `${file}.${LOG_KEEP - index}`).concat(file) : [file];
	return paths.filter(existsSync).map(openLog).filter((log): log is OpenLog => log !== undefined);
}

function closeLogs(logs: OpenLog[]): void {
	for (const log of logs) closeSync(log.fd);
}

/** Lines of a service's log matching the query (a window reads older rotated files too). */
export function readLogLines(service: string, file: string, query: LogQuery): LogLine[] {
	const windowed = query.sinceMs !== undefined || query.untilMs !== undefined;
	const lines = windowed ? windowLines(service, file, query.sinceMs ?? -Infinity, query.untilMs ?? Infinity) : lastLines(service, file, query.lines ?? 100);
	return query.lines !== undefined ? lines.slice(-query.lines) : lines;
}

/** The last `count` lines of the current file; untimed ones take the time of the timed line before them, looked for further back if need be. */
function lastLines(service: string, file: string, count: number): LogLine[] {
	if (count <= 0 || !existsSync(file)) return [];
	const fd = openSync(file, 'r');
	let tail: {lines: string[]; start: number};
	try {
		tail = tailLines(fd, fstatSync(fd).size, count);
	} finally {
		closeSync(fd);
	}
	let carry: number | null | undefined;
	const earlier = (): number | null => {
		if (carry !== undefined) return carry;
		const logs = openLogs(file, true).reverse(); // the current file, then .1, .2 …
		try {
			carry = null;
			for (const [index, log] of logs.entries()) {
				carry = lastTimeBefore(log.fd, index === 0 ? tail.start : log.size);
				if (carry !== null) break;
			}
		} finally {
			closeLogs(logs);
		}
		return carry;
	};
	return tail.lines.map(text => {
		const facts = lineFacts(text);
		const time = facts.time ?? earlier();
		carry = time;
		return {service, time, pid: facts.pid, text};
	});
}

/** The lines from `sinceMs` to `untilMs` (inclusive) of a log and its rotated files, oldest first. */
function windowLines(service: string, file: string, sinceMs: number, untilMs: number): LogLine[] {
	const logs = openLogs(file, true);
	const lines: LogLine[] = [];
	const inWindow = (time: number) => time >= sinceMs && time <= untilMs;
	try {
		/** The time of the nearest earlier timed line (null: none yet). */
		let carry: number | null = null;
		for (const [index, log] of logs.entries()) {
			const last = lastTimeBefore(log.fd, log.size);
			// Wholly before the window: its lines, and the untimed ones that take their times, are older
			// (with no timed line, its last change says when it was last written).
			if (last !== null ? last < sinceMs - SLACK_MS : log.mtimeMs < sinceMs - SLACK_MS) {
				carry = last ?? carry;
				continue;
			}
			// Inside a file, begin near the window: lines before the first timed line there are older than it.
			const start = Number.isFinite(sinceMs) && log.size > CHUNK ? windowStart(log.fd, log.size, sinceMs - SLACK_MS) : 0;
			let older = start > 0;
			/** For leading untimed lines: is the first timed line after them (or the file's change time) in the window? */
			let leading: boolean | undefined;
			const leadingKept = (): boolean => {
				if (leading === undefined) {
					let bound: number | null = null;
					for (const later of logs.slice(index)) {
						bound = firstTimeFrom(later.fd, 0, later.size);
						if (bound !== null) break;
					}
					leading = inWindow(bound ?? log.mtimeMs);
				}
				return leading;
			};
			for (const text of forwardLines(log.fd, start, log.size, CHUNK, start > 0)) {
				const facts = lineFacts(text);
				let time = facts.time;
				if (time !== null) {
					// Past the window: so is everything after (a little slack for lines out of order).
					if (time > untilMs + SLACK_MS) return lines;
					carry = time;
					older = false;
				} else if (older) {
					continue;
				} else if (carry !== null) {
					time = carry;
				} else if (!leadingKept()) {
					continue;
				}
				if (time !== null && !inWindow(time)) continue;
				lines.push({service, time, pid: facts.pid, text});
			}
		}
		return lines;
	} finally {
		closeLogs(logs);
	}
}

/**
 * Calls `onLine` for each line appended to `file` from now on, until the
 * signal aborts; survives rotation (the file shrinking or being replaced).
 */
export async function followFile(service: string, file: string, onLine: (line: LogLine) => void, signal: AbortSignal, pollMs = 250): Promise<void> {
	let position = existsSync(file) ? statSync(file).size : 0;
	let inode = existsSync(file) ? statSync(file).ino : 0;
	/** Bytes of a line not ended yet (kept as bytes: a character may be cut too). */
	let partial = Buffer.alloc(0);
	/** The time of the last timed line, for the untimed lines after it (see windowLines). */
	let carry: number | null = null;
	if (position > 0) {
		const fd = openSync(file, 'r');
		try {
			carry = lastTimeBefore(fd, position);
		} finally {
			closeSync(fd);
		}
	}
	/** Whole lines go out; a trailing partial line waits for the rest. */
	const emit = (buffer: Buffer) => {
		const bytes = partial.length > 0 ? Buffer.concat([partial, buffer]) : buffer;
		const end = bytes.lastIndexOf(NEWLINE);
		partial = Buffer.from(bytes.subarray(end + 1));
		if (end === -1) return;
		for (const line of bytes.subarray(0, end).toString('utf8').split('\n')) {
			const facts = lineFacts(line);
			carry = facts.time ?? carry;
			onLine({service, time: carry, pid: facts.pid, text: line});
		}
	};
	while (!signal.aborted) {
		await new Promise(resolve => setTimeout(resolve, pollMs));
		if (!existsSync(file)) continue;
		const stat = statSync(file);
		if (stat.ino !== inode || stat.size < position) {
			// Rotated: finish what was appended to the old file (now .1) before switching.
			const rotated = `${file}.1`;
			if (stat.ino !== inode && existsSync(rotated) && statSync(rotated).ino === inode) {
				const rest = statSync(rotated).size - position;
				if (rest > 0) {
					const fd = openSync(rotated, 'r');
					try {
						const buffer = Buffer.alloc(rest);
						readSync(fd, buffer, 0, rest, position);
						emit(buffer);
					} finally {
						closeSync(fd);
					}
				}
			}
			inode = stat.ino;
			position = 0;
		}
		if (stat.size === position) continue;
		const fd = openSync(file, 'r');
		try {
			const buffer = Buffer.alloc(stat.size - position);
			readSync(fd, buffer, 0, buffer.length, position);
			position = stat.size;
			emit(buffer);
		} finally {
			closeSync(fd);
		}
	}
}

/**
 * The log window of one job (`logs --job`, the console's `l`): from 5 s before
 * it started to 5 s after it finished, lines of the worker that ran it
 * (BullMQ's processedBy is our worker id) or naming the job. A line that is
 * not JSON (a stack trace, a warning) goes with the line of its service
 * before it: `matches` is asked in order, and is kept for one listing.
 */
export function jobLogWindow(job: {queue: string; id: string; processedOn: number | null; finishedOn: number | null; processedBy: string | null}, now = Date.now()): {sinceMs: number; untilMs: number; matches(line: LogLine): boolean} | undefined {
	if (job.processedOn === null) return undefined;
	/** Per service: did its last JSON line match? */
	const previous = new Map<string, boolean>();
	return {
		sinceMs: job.processedOn - 5000,
		untilMs: (job.finishedOn ?? now) + 5000,
		matches: line => {
			const fields = lineFacts(line.text).fields;
			if (!fields) return previous.get(line.service) ?? false;
			const match = (job.processedBy !== null && fields['workerId'] === job.processedBy) || (fields['queue'] === job.queue && String(fields['jobId']) === job.id);
			previous.set(line.service, match);
			return match;
		},
	};
}

/**
 * Several services' lines (each list in its own order) as one list by time. A line
 * without a time sorts where its neighbours put it: at the time of the next timed line
 * of its service (it was written before that one), else of the one before it.
 */
export function mergeByTime(lists: ReadonlyArray<readonly LogLine[]>): LogLine[] {
	const keyed: Array<{line: LogLine; key: number}> = [];
	for (const list of lists) {
		const keys = new Array<number>(list.length);
		let next: number | null = null;
		for (let index = list.length - 1; index >= 0; index--) {
			next = list[index]!.time ?? next;
			keys[index] = next ?? Number.NaN;
		}
		let previous = 0;
		for (const [index, line] of list.entries()) {
			const key = Number.isNaN(keys[index]!) ? previous : keys[index]!;
			previous = line.time ?? previous;
			keyed.push({line, key});
		}
	}
	// Stable: lines of one service with the same key keep their order.
	return keyed.sort((a, b) => a.key - b.key).map(entry => entry.line);
}
