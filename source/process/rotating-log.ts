/**
 * A log file that rotates by size: `name.log` → `name.log.1` → … → `name.log.<keep>`,
 * the oldest dropped. Synchronous writes: a supervisor's log must survive
 * the supervisor being killed.
 */
import {closeSync, existsSync, fstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync} from 'node:fs';
import path from 'node:path';

export class RotatingLog {
	private fd: number;
	private size: number;

	constructor(readonly file: string, private readonly maxBytes = 10 * 1024 * 1024, private readonly keep = 5) {
		mkdirSync(path.dirname(file), {recursive: true, mode: 0o700});
		this.fd = openSync(file, 'a', 0o600);
		this.size = fstatSync(this.fd).size;
	}

	/** Appends text (whole lines); rotates first when it would pass the limit. */
	write(text: string): void {
		const bytes = Buffer.byteLength(text);
		if (this.size > 0 && this.size + bytes > this.maxBytes) this.rotate();
		writeSync(this.fd, text);
		this.size += bytes;
	}

	rotate(): void {
		closeSync(this.fd);
		if (existsSync(`${this.file}.${this.keep}`)) rmSync(`${this.file}.${this.keep}`);
		for (let index = this.keep - 1; index >= 1; index--) {
			if (existsSync(`${this.file}.${index}`)) renameSync(`${this.file}.${index}`, `${this.file}.${index + 1}`);
		}
		renameSync(this.file, `${this.file}.1`);
		this.fd = openSync(this.file, 'a', 0o600);
		this.size = 0;
	}

	close(): void {
		closeSync(this.fd);
	}
}
