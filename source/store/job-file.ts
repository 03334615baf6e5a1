/**
 * A job written whole to a private temporary file, for the pager: the
 * console shows the first 64 KB of a large field, `e` opens all of it.
 *
 * The fields are read whole (on demand, never by a poll) as bytes, and never
 * decoded or parsed at once: JSON.parse and JSON.stringify of 20 MB block the
 * event loop for a quarter of a second each, and ^C and SIGTERM with it. Each
 * large field is decoded and laid out a piece at a time instead, and every piece is written before the next is
 * made, so the console stays responsive while the file is written. The text
 * passes the sanitizer: `less -R` (or LESS=R) would otherwise act on the
 * escape sequences a hostile job carries.
 *
 * The folder is made by mkdtemp (0700) and the file 0600: job data may hold
 * members' personal data.
 */
import {rmSync} from 'node:fs';
import {mkdtemp, open, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type {Connection} from '../data/connection.js';
import {getJobTexts, type JobTexts} from '../data/jobs.js';
import {sanitizeLine, sanitizeText} from '../common/sanitize.js';
import {fileError} from '../errors.js';
import {formatBytes} from '../present/format.js';
import {createJsonPrettifier, createStringArrayDecoder, decodedPieces} from '../util/json-text.js';

/** Bytes decoded and laid out per piece: a few milliseconds of work between two turns of the event loop. */
const PIECE = 64 * 1024;

export type JobFile = {
	file: string;
	bytes: number;
	remove(): Promise<void>;
	/** The same, at once: for a process about to end (SIGTERM), which would not wait for a promise. */
	removeNow(): void;
};

const safeName = (text: string): string => text.replace(/[^\w.-]+/g, '_').slice(0, 60) || 'job';

/** Writes job `id` of `queue` whole to a new private file; `remove()` deletes it (and its folder). */
export async function writeJobFile(connection: Connection, queue: string, id: string, tmpdir = os.tmpdir()): Promise<JobFile> {
	return writeJobTexts(await getJobTexts(connection, queue, id), queue, id, tmpdir);
}

/** Writes a job's texts as read by getJobTexts to a new private file. */
export async function writeJobTexts(texts: JobTexts, queue: string, id: string, tmpdir = os.tmpdir()): Promise<JobFile> {
	let dir: string;
	try {
		dir = await mkdtemp(path.join(tmpdir, 'saccos-queue-job-'));
	} catch (error) {
		throw fileError(error, 'make a folder in', tmpdir);
	}
	const file = path.join(dir, `${safeName(queue)}-${safeName(id)}.txt`);
	const remove = async () => rm(dir, {recursive: true, force: true});
	let bytes = 0;
	try {
		const handle = await open(file, 'wx', 0o600);
		try {
			const put = async (text: string) => {
				const safe = sanitizeText(text, {multiline: true});
				bytes += Buffer.byteLength(safe);
				await handle.write(safe);
			};
			/**
			 * A large text, `transform`ed and written a piece at a time. A piece that ends in the
			 * first half of a surrogate pair, or a CR, keeps it for the next (the sanitizer would
			 * read each half alone as a broken character).
			 */
			const putAll = async (text: Buffer, transform: (piece: string) => string = piece => piece) => {
				let carry = '';
				for (const piece of decodedPieces(text, PIECE)) {
					const out = carry + transform(piece);
					const last = out.charCodeAt(out.length - 1);
					const held = (last >= 0xd800 && last <= 0xdbff) || last === 13 ? 1 : 0;
					carry = out.slice(out.length - held);
					await put(out.slice(0, out.length - held));
				}
				await put(`${carry}\n`);
			};
			const size = (text: Buffer) => formatBytes(text.length);
			/** BullMQ's stack traces are a JSON array of strings; an older or foreign job may hold plain text. */
			const isArray = (text: Buffer) => text.subarray(0, 64).toString().trimStart().startsWith('[');
			await put(`${sanitizeLine(queue)} / ${sanitizeLine(id)}  ${sanitizeLine(texts.name) || '(no name)'}\n`);
			if (texts.failedReason) {
				await put(`\nFailed reason (${size(texts.failedReason)})\n`);
				await putAll(texts.failedReason);
			}
			if (texts.stacktrace) {
				await put(`\nStack traces (${size(texts.stacktrace)}, oldest first)\n`);
				await putAll(texts.stacktrace, isArray(texts.stacktrace) ? createStringArrayDecoder('\n── a later attempt ──\n') : undefined);
			}
			await put(`\nData${texts.data === null ? ': none' : ` (${size(texts.data)})`}\n`);
			if (texts.data !== null) await putAll(texts.data, createJsonPrettifier());
			if (texts.returnvalue !== null && texts.returnvalue.toString('utf8', 0, 5) !== 'null') {
				await put(`\nReturn value (${size(texts.returnvalue)})\n`);
				await putAll(texts.returnvalue, createJsonPrettifier());
			}
		} finally {
			await handle.close();
		}
	} catch (error) {
		await remove();
		throw fileError(error, 'write the job to', file);
	}
	return {file, bytes, remove, removeNow: () => rmSync(dir, {recursive: true, force: true})};
}
