/**
 * A log file that rotates by size: `name.log` → `name.log.1` → … → `name.log.<keep>`,
 * the oldest dropped. Synchronous writes: a supervisor's log must survive
 * the supervisor being killed.
 *
 * Writing never throws: on a full, read-only or failing disk the line is
 * dropped and counted (source/util/lossy-write.ts), whatever part of it got
 * out is cut off again, and the first line that fits afterwards is preceded
 * by "N log lines dropped: …". The supervisor writing it keeps supervising.
 */
import {closeSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, renameSync, rmSync} from 'node:fs';
import path from 'node:path';
import {DroppedLines, linesIn, writeFullySync, type WriteFailure} from '../util/lossy-write.js';

export type RotatingLogOptions = {
	/** Where "cannot write the log" is said when dropping starts (default: stderr). */
	report?: (line: string) => void;
};

/** The local supervisor's service logs: rotated at 10 MB, 5 older files kept (as the README says; `logs` reads back as many). */
export const LOG_MAX_BYTES = 10 * 1024 * 1024;
export const LOG_KEEP = 5;

export class RotatingLog {
	/** undefined after a rotation that could not reopen the file: retried at the next write. */
	private fd: number | undefined;
	private size: number;
	/** A partial line that could not be cut off: the next write starts with a newline. */
	private cut = false;
	private readonly dropped: DroppedLines;

	constructor(readonly file: string, private readonly maxBytes: number, private readonly keep: number, options: RotatingLogOptions = {}) {
		mkdirSync(path.dirname(file), {recursive: true, mode: 0o700});
		this.fd = openSync(file, 'a', 0o600);
		this.size = fstatSync(this.fd).size;
		this.dropped = new DroppedLines(file, options.report);
	}

	/** Appends text (whole lines); rotates first when it would pass the limit. Never throws. */
	write(text: string): void {
		const bytes = Buffer.from(text);
		const notice = this.dropped.notice;
		// The count goes in with the next line, in one write: both or neither (a notice per failed retry would fill the disk itself).
		const whole = notice ? Buffer.concat([Buffer.from(`${JSON.stringify({time: new Date().toISOString(), level: 'warn', process: 'supervisor', dropped: notice.count, msg: notice.msg})}\n`), bytes]) : bytes;
		try {
			if (this.size > 0 && this.size + whole.length > this.maxBytes) this.rotate();
			this.fd ??= this.reopen();
			this.append(whole);
			this.dropped.clear();
		} catch (error) {
			this.dropped.drop(linesIn(bytes), error);
		}
	}

	/** Writes all of `bytes` at the end, or — when it cannot — leaves the file as it was and throws. */
	private append(bytes: Buffer): void {
		const fd = this.fd!;
		const whole = this.cut ? Buffer.concat([Buffer.from('\n'), bytes]) : bytes;
		try {
			writeFullySync(fd, whole);
		} catch (error) {
			if ((error as WriteFailure).written) {
				try {
					ftruncateSync(fd, this.size);
				} catch {
					this.size += (error as WriteFailure).written!;
					this.cut = true;
				}
			}
			throw error;
		}
		this.size += whole.length;
		this.cut = false;
	}

	private reopen(): number {
		const fd = openSync(this.file, 'a', 0o600);
		this.size = fstatSync(fd).size;
		return fd;
	}

	rotate(): void {
		if (this.fd !== undefined) closeSync(this.fd);
		this.fd = undefined;
		if (existsSync(`${this.file}.${this.keep}`)) rmSync(`${this.file}.${this.keep}`);
		for (let index = this.keep - 1; index >= 1; index--) {
			if (existsSync(`${this.file}.${index}`)) renameSync(`${this.file}.${index}`, `${this.file}.${index + 1}`);
		}
		// Gone already when a rotation failed after this rename: the next one must not fail on it again.
		if (existsSync(this.file)) renameSync(this.file, `${this.file}.1`);
		this.size = 0;
		this.cut = false;
		this.fd = openSync(this.file, 'a', 0o600);
	}

	close(): void {
		if (this.fd !== undefined) closeSync(this.fd);
		this.fd = undefined;
	}
}
