/**
 * Log lines on a disk that may fill up. A log line is worth less than the
 * work it describes: a worker or supervisor whose log file cannot be written
 * (full, read-only, failing disk) keeps working and drops the lines, counting
 * them. It says so once on stderr when the dropping starts, and once in the
 * log itself ("N log lines dropped: no space left on the device (ENOSPC)")
 * when a line can be written again. A line is written whole or not at all.
 */
import {writeSync} from 'node:fs';
import {errnoOf, fileFaultOf} from '../errors.js';

/** An error of writeFullySync, with how many bytes got out before it. */
export type WriteFailure = Error & {written?: number};

/** Writes every byte (write(2) may write fewer than asked: on a nearly full disk, what fits); throws with `written` set. */
export function writeFullySync(fd: number, bytes: Buffer): void {
	let offset = 0;
	try {
		while (offset < bytes.length) {
			const wrote = writeSync(fd, bytes, offset, bytes.length - offset);
			if (wrote <= 0) throw Object.assign(new Error('write wrote nothing'), {code: 'EIO'});
			offset += wrote;
		}
	} catch (error) {
		throw Object.assign(error as WriteFailure, {written: offset});
	}
}

/** stderr, without ever throwing or emitting an error (it may be a file on the same full disk). */
export function toStderr(line: string): void {
	try {
		writeFullySync(2, Buffer.from(`${line}\n`));
	} catch {
		// nowhere left to say it
	}
}

/** Newlines in `bytes`: the lines it ends. */
export const linesIn = (bytes: Buffer): number => {
	let count = 0;
	for (let at = bytes.indexOf(10); at !== -1; at = bytes.indexOf(10, at + 1)) count++;
	return count;
};

const reasonOf = (error: unknown): string => {
	const errno = errnoOf(error);
	const what = fileFaultOf(errno);
	return what ? `${what} (${errno})` : errno ?? (error instanceof Error ? error.message : String(error));
};

/** The lines a log could not write: counted, said once on stderr, then once in the log. */
export class DroppedLines {
	private count = 0;
	private reason = '';

	constructor(private readonly file: string, private readonly report: (line: string) => void = toStderr) {}

	/** Counts `lines` lost to `error`; the first loss of a run is reported. */
	drop(lines: number, error: unknown): void {
		this.reason = reasonOf(error);
		if (this.count === 0) this.report(`saccos-queue: cannot write the log ${this.file}: ${this.reason}; log lines are dropped (and counted) until it can be written again`);
		this.count += Math.max(lines, 1);
	}

	/** What to write first once the log can be written again: `N log lines dropped: <why>`, or undefined. */
	get notice(): {count: number; msg: string} | undefined {
		return this.count === 0 ? undefined : {count: this.count, msg: `${this.count} log line${this.count === 1 ? '' : 's'} dropped: ${this.reason}`};
	}

	/** The notice is in the log. */
	clear(): void {
		this.count = 0;
	}
}
