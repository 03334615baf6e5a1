/**
 * Process logs from the local supervisor's files: the last N lines, a time
 * window, and following (through rotation). Lines are untrusted text; the
 * caller sanitizes them before they reach a terminal.
 */
import {closeSync, existsSync, openSync, readSync, statSync} from 'node:fs';
import {lineFacts, type LogLine} from './log-line.js';

export type {LogLine} from './log-line.js';

export type LogQuery = {
	lines?: number;
	sinceMs?: number;
	untilMs?: number;
	follow?: boolean;
	signal?: AbortSignal;
};

/** The last `count` lines of a file, reading backwards in blocks (bounded memory). */
export function tailFile(file: string, count: number): string[] {
	if (!existsSync(file) || count <= 0) return [];
	const fd = openSync(file, 'r');
	try {
		const size = statSync(file).size;
		const block = 64 * 1024;
		let position = size;
		let text = '';
		while (position > 0 && text.split('\n').length <= count + 1) {
			const length = Math.min(block, position);
			position -= length;
			const buffer = Buffer.alloc(length);
			readSync(fd, buffer, 0, length, position);
			text = buffer.toString('utf8') + text;
		}
		const lines = text.split('\n');
		if (lines[lines.length - 1] === '') lines.pop();
		return lines.slice(-count);
	} finally {
		closeSync(fd);
	}
}

/** Lines of a service's log matching the query (a window reads older rotated files too). */
export function readLogLines(service: string, file: string, query: LogQuery): LogLine[] {
	const windowed = query.sinceMs !== undefined || query.untilMs !== undefined;
	const files = windowed ? [5, 4, 3, 2, 1].map(index => `${file}.${index}`).filter(existsSync).concat(file) : [file];
	const lines: LogLine[] = [];
	for (const path of files) {
		for (const text of tailFile(path, windowed ? 1_000_000 : (query.lines ?? 100))) {
			const facts = lineFacts(text);
			if (query.sinceMs !== undefined && (facts.time === null || facts.time < query.sinceMs)) continue;
			if (query.untilMs !== undefined && (facts.time === null || facts.time > query.untilMs)) continue;
			lines.push({service, time: facts.time, pid: facts.pid, text});
		}
	}
	return query.lines !== undefined ? lines.slice(-query.lines) : lines;
}

/**
 * Calls `onLine` for each line appended to `file` from now on, until the
 * signal aborts; survives rotation (the file shrinking or being replaced).
 */
export async function followFile(service: string, file: string, onLine: (line: LogLine) => void, signal: AbortSignal, pollMs = 250): Promise<void> {
	let position = existsSync(file) ? statSync(file).size : 0;
	let inode = existsSync(file) ? statSync(file).ino : 0;
	let partial = '';
	/** Whole lines go out; a trailing partial line waits for the rest. */
	const emit = (buffer: Buffer) => {
		const lines = (partial + buffer.toString('utf8')).split('\n');
		partial = lines.pop() ?? '';
		for (const line of lines) {
			const facts = lineFacts(line);
			onLine({service, time: facts.time, pid: facts.pid, text: line});
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
 * (BullMQ's processedBy is our worker id) or naming the job.
 */
export function jobLogWindow(job: {queue: string; id: string; processedOn: number | null; finishedOn: number | null; processedBy: string | null}, now = Date.now()): {sinceMs: number; untilMs: number; matches(line: LogLine): boolean} | undefined {
	if (job.processedOn === null) return undefined;
	return {
		sinceMs: job.processedOn - 5000,
		untilMs: (job.finishedOn ?? now) + 5000,
		matches: line => {
			const fields = lineFacts(line.text).fields;
			if (!fields) return false;
			return (job.processedBy !== null && fields['workerId'] === job.processedBy) || (fields['queue'] === job.queue && String(fields['jobId']) === job.id);
		},
	};
}
