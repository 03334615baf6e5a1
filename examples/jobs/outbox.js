// Shared by the example processors: where their effects go, written once per
// job id (write to a temp file, then rename), so a retried or re-delivered
// job never produces its effect twice.
import {existsSync} from 'node:fs';
import {mkdir, rename, writeFile} from 'node:fs/promises';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

export const outboxRoot = () => process.env.SACCOS_QUEUE_OUTBOX ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'var');

/** Writes `content` to <outbox>/<folder>/<name> unless it exists; returns {file, created}. */
export async function writeOnce(folder, name, content) {
	const dir = path.join(outboxRoot(), folder);
	const file = path.join(dir, name.replace(/[^\w.-]/g, '_'));
	if (existsSync(file)) return {file, created: false};
	await mkdir(dir, {recursive: true});
	const temp = `${file}.${process.pid}.tmp`;
	await writeFile(temp, content);
	await rename(temp, file);
	return {file, created: true};
}

/** Resolves after `ms`, or rejects when `signal` fires (a cooperative processor). */
export const wait = (ms, signal) => new Promise((resolve, reject) => {
	const timer = setTimeout(resolve, ms);
	signal?.addEventListener('abort', () => {
		clearTimeout(timer);
		reject(signal.reason ?? new Error('aborted'));
	}, {once: true});
});
