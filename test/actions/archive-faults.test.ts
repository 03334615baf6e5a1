/**
 * `archive --to FILE` and `restore FILE` when the local disk fails them, on a
 * real small filesystem (a tmpfs, filled or remounted read-only): a job is
 * deleted only once its line is whole on disk, every job ends up either a
 * whole line in the file or still failed in Redis, a failed run leaves no
 * partial line (and an existing archive as it was), and the command says so
 * in one line with exit 74 — never "archived", exit 0, never exit 70.
 */
import {describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {binary, cleanEnv, describeResult, parseJson, scratchDir, type CliResult} from '../helpers/cli.js';
import {makeFailedJobs, placement, scope} from '../helpers/failed-jobs.js';
import {testRedisUrl} from '../helpers/redis-server.js';
import {mountSmallFs, smallFsUnavailable} from '../helpers/small-fs.js';
import {toRecord} from '../../source/data/archive.js';

const url = testRedisUrl();
const QUEUE = 'loans';
const skip = smallFsUnavailable();

/** Data a SACCOS producer might send, about 700 bytes a record once archived. */
const dataOf = (index: number): unknown => ({loanId: 5000 + index, member: {id: `M-${index}`, name: 'Zawadi Mwakyusa — 测试'}, amount: 125_000.5 + index, schedule: [1, 2, 3].map(month => ({month, due: month * 10}))});

/** A line an earlier archive run left in the file. */
const EARLIER = `${JSON.stringify({v: 1, queue: QUEUE, id: 'earlier-1', name: 'loan.approved', data: {loanId: 1}, opts: {}, failedReason: 'old', stacktrace: [], attemptsMade: 1, timestamp: 1, processedOn: 1, finishedOn: 1, logs: [], hash: {}, archivedAt: 1})}\n`;

/** `nobody`: root may write anywhere, so "permission denied" needs another user. */
const NOBODY = 65_534;
const asNobody = process.getuid?.() === 0 ? undefined : 'running the binary as another user (nobody) needs root';

/** Runs the binary as `nobody` (its config and cwd in a folder it may read). */
async function runAsNobody(args: readonly string[], dir: string): Promise<CliResult> {
	const child = spawn(process.execPath, [binary, ...args, '--config', path.join(dir, 'empty.json')], {cwd: dir, env: cleanEnv(), uid: NOBODY, gid: NOBODY, stdio: ['ignore', 'pipe', 'pipe']});
	const out: Buffer[] = [];
	const err: Buffer[] = [];
	child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
	child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
	const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>(resolve => child.once('close', (exitCode, exitSignal) => resolve([exitCode, exitSignal])));
	const stdoutBytes = Buffer.concat(out);
	const stderrBytes = Buffer.concat(err);
	return {code, signal, stdout: stdoutBytes.toString('utf8'), stderr: stderrBytes.toString('utf8'), stdoutBytes, stderrBytes, ms: 0};
}

const ids = (text: string): string[] => text.split('\n').filter(Boolean).map(line => (JSON.parse(line) as {id: string}).id);

describe('archive and restore on a failing disk', {skip}, () => {
	it('8 KB free and 50 jobs to archive: exit 74 naming the file and ENOSPC, no job deleted, the existing archive keeps its bytes', async t => {
		const s = scope(t, url);
		await makeFailedJobs({url, prefix: s.prefix, queue: QUEUE, count: 50, data: dataOf});
		const disk = mountSmallFs(t, 64 * 1024);
		const file = path.join(disk.dir, 'failed-2026-11.jsonl');
		writeFileSync(file, EARLIER, {mode: 0o600});
		disk.fill(8 * 1024);
		assert.equal(disk.free(), 8 * 1024);

		const result = await s.cli(['archive', '--older-than', '0s', '--queue', QUEUE, '--to', file, '--yes']);
		assert.equal(result.code, 74, describeResult(result));
		assert.equal(result.stdout, '', 'no "archived" line: nothing was archived');
		assert.match(result.stderr, new RegExp(`^saccos-queue: cannot write the archive ${file}: no space left on the device \\(ENOSPC\\); nothing was deleted; ${file} is as it was before this run\\n  hint: free some space`), describeResult(result));
		assert.equal(result.stderr.split('\n').filter(Boolean).length, 2, 'one line and a hint, no stack trace');
		assert.equal(readFileSync(file, 'utf8'), EARLIER, 'the earlier content, and nothing after it');
		assert.equal((await placement(s.client, s.prefix, QUEUE)).failed.length, 50, 'every job is still failed in Redis');
		const [audit] = await s.audit();
		assert.deepEqual({action: audit?.['action'], result: audit?.['result'], count: audit?.['count']}, {action: 'archive', result: 'failed', count: 0});
	});

	it('a completely full disk: exit 74 (code "io" with --json), the file this run created is gone, no job deleted', async t => {
		const s = scope(t, url);
		await makeFailedJobs({url, prefix: s.prefix, queue: QUEUE, count: 20, data: dataOf});
		const disk = mountSmallFs(t, 64 * 1024);
		disk.fill(0);
		const file = path.join(disk.dir, 'new.jsonl');

		const result = await s.cli(['archive', '--older-than', '0s', '--queue', QUEUE, '--to', file, '--yes', '--json']);
		assert.equal(result.code, 74, describeResult(result));
		const {error} = parseJson<{error: {code: string; message: string; hint: string}}>(result);
		assert.equal(error.code, 'io');
		assert.match(error.message, /ENOSPC/);
		assert.ok(error.message.includes(file), error.message);
		assert.match(error.message, /nothing was deleted; .* was removed \(this run had created it\)$/);
		assert.equal(existsSync(file), false, 'no empty or partial archive is left behind');
		assert.equal((await placement(s.client, s.prefix, QUEUE)).failed.length, 20);
	});

	it('the disk fills up after two batches: each job is a whole line in the file or still failed, none lost; exit 74 says how many were deleted', async t => {
		const s = scope(t, url);
		const count = 3000;
		// About 2.4 KB a record: three batches of 1,000 need about 7 MB.
		const big = (index: number) => ({loanId: index, note: `${'x'.repeat(1000)}`});
		const made = await makeFailedJobs({url, prefix: s.prefix, queue: QUEUE, count, data: big});
		// A batch's size, measured from a record as archive makes it.
		const sample = made.jobs[made.jobs.length - 1]!.id;
		const line = `${JSON.stringify(toRecord(QUEUE, sample, await s.client.hgetall(`${s.prefix}:${QUEUE}:${sample}`), []))}\n`;
		const batchBytes = Buffer.byteLength(line) * 1000;
		const disk = mountSmallFs(t, 4 * batchBytes);
		const file = path.join(disk.dir, 'archive.jsonl');
		disk.fill(Math.floor(2.5 * batchBytes));

		const result = await s.cli(['archive', '--older-than', '0s', '--queue', QUEUE, '--to', file, '--yes'], {timeoutMs: 120_000});
		assert.equal(result.code, 74, describeResult(result));
		const text = readFileSync(file, 'utf8');
		assert.ok(text.endsWith('\n'), 'no partial line at the end');
		const inFile = ids(text); // every line parses: no cut line anywhere
		const failed = (await placement(s.client, s.prefix, QUEUE)).failed;
		assert.equal(inFile.length, 2000, `two whole batches in the file (${inFile.length})`);
		assert.equal(failed.length, count - 2000);
		const all = new Set([...inFile, ...failed]);
		assert.equal(all.size, count, 'no job is both in the file and in Redis, and none is in neither');
		assert.deepEqual(made.jobs.filter(job => !all.has(job.id)).map(job => job.id), [], 'no job lost');
		assert.match(result.stderr, new RegExp(`cannot write the archive ${file}: no space left on the device \\(ENOSPC\\); 2000 job\\(s\\) were archived and deleted before that \\(loans: 2000\\); ${file} holds them, whole lines only; every other failed job is untouched`), describeResult(result));
	});

	it('a read-only filesystem: exit 74 naming EROFS; the archive and the jobs are untouched', async t => {
		const s = scope(t, url);
		await makeFailedJobs({url, prefix: s.prefix, queue: QUEUE, count: 10, data: dataOf});
		const disk = mountSmallFs(t, 64 * 1024);
		const file = path.join(disk.dir, 'archive.jsonl');
		writeFileSync(file, EARLIER, {mode: 0o600});
		disk.readOnly();

		const result = await s.cli(['archive', '--older-than', '0s', '--queue', QUEUE, '--to', file, '--yes']);
		assert.equal(result.code, 74, describeResult(result));
		assert.match(result.stderr, new RegExp(`^saccos-queue: cannot write the archive ${file}: the filesystem is read-only \\(EROFS\\); nothing was deleted\\n  hint: `), describeResult(result));
		assert.equal(readFileSync(file, 'utf8'), EARLIER);
		assert.equal((await placement(s.client, s.prefix, QUEUE)).failed.length, 10);
	});
});

describe('archive and restore: paths that cannot be used', () => {
	it('restore of a folder: exit 74 (EISDIR), not an internal error', async t => {
		const s = scope(t, url);
		const folder = path.join(scratchDir(), `${s.prefix}-folder`);
		mkdirSync(folder);
		const result = await s.cli(['restore', folder]);
		assert.equal(result.code, 74, describeResult(result));
		assert.match(result.stderr, new RegExp(`^saccos-queue: cannot read the archive ${folder}: it is a folder, not a file \\(EISDIR\\)\\n`));
	});

	it('archive --to a path in a folder that does not exist: exit 74 naming ENOENT, nothing deleted', async t => {
		const s = scope(t, url);
		await makeFailedJobs({url, prefix: s.prefix, queue: QUEUE, count: 5});
		const file = path.join(scratchDir(), 'no-such-dir', 'a.jsonl');
		const result = await s.cli(['archive', '--older-than', '0s', '--queue', QUEUE, '--to', file, '--yes']);
		assert.equal(result.code, 74, describeResult(result));
		assert.match(result.stderr, new RegExp(`^saccos-queue: cannot write the archive ${file}: no such file or folder \\(ENOENT\\); nothing was deleted\\n  hint: check the path`));
		assert.equal((await placement(s.client, s.prefix, QUEUE)).failed.length, 5);
	});

	it('appending to an archive whose last line an earlier writer cut: the new records start on a line of their own', async t => {
		const s = scope(t, url);
		await makeFailedJobs({url, prefix: s.prefix, queue: QUEUE, count: 3, data: dataOf});
		const file = path.join(scratchDir(), `${s.prefix}-cut.jsonl`);
		const cut = EARLIER.slice(0, 40);
		writeFileSync(file, EARLIER + cut, {mode: 0o600});
		const result = await s.cli(['archive', '--older-than', '0s', '--queue', QUEUE, '--to', file, '--yes']);
		assert.equal(result.code, 0, describeResult(result));
		const lines = readFileSync(file, 'utf8').split('\n');
		assert.deepEqual(lines.slice(0, 2), [EARLIER.trimEnd(), cut], 'the earlier content is kept as it was');
		assert.equal(lines.slice(2).filter(Boolean).map(text => (JSON.parse(text) as {queue: string}).queue).length, 3, 'three whole records after it');
	});

	it('no permission (run as nobody): archive into a folder it may not write, restore of a file it may not read: exit 74 naming EACCES, nothing deleted', {skip: asNobody}, async t => {
		const s = scope(t, url);
		await makeFailedJobs({url, prefix: s.prefix, queue: QUEUE, count: 5});
		const dir = mkdtempSync(path.join(os.tmpdir(), 'saccos-eacces-'));
		t.after(() => rmSync(dir, {recursive: true, force: true}));
		chmodSync(dir, 0o755);
		writeFileSync(path.join(dir, 'empty.json'), '{}', {mode: 0o644});
		const file = path.join(dir, 'archive.jsonl');
		const archived = await runAsNobody(['archive', '--older-than', '0s', '--queue', QUEUE, '--to', file, '--yes', '--redis', url, '--prefix', s.prefix], dir);
		assert.equal(archived.code, 74, describeResult(archived));
		assert.match(archived.stderr, new RegExp(`^saccos-queue: cannot write the archive ${file}: permission denied \\(EACCES\\); nothing was deleted\\n  hint: check the file's and its folder's owner and mode`), describeResult(archived));
		assert.equal((await placement(s.client, s.prefix, QUEUE)).failed.length, 5);

		writeFileSync(file, EARLIER, {mode: 0o600});
		const restored = await runAsNobody(['restore', file, '--redis', url, '--prefix', s.prefix], dir);
		assert.equal(restored.code, 74, describeResult(restored));
		assert.match(restored.stderr, new RegExp(`^saccos-queue: cannot read the archive ${file}: permission denied \\(EACCES\\)\\n`), describeResult(restored));
	});
});
