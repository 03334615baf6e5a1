/**
 * Log rotation for the local supervisor: RotatingLog (source/process/rotating-log.ts)
 * with a small maxBytes on real files, `logs --since` reading across the
 * rotated files through the real binary, and following a log through a
 * rotation (source/process/logs.ts followFile).
 */
import {existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {after, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {RotatingLog} from '../../source/process/rotating-log.js';
import {followFile, type LogLine} from '../../source/process/logs.js';
import {logPath} from '../../source/process/local-supervisor.js';
import {describeResult, runCli} from '../helpers/cli.js';
import {waitFor} from '../helpers/keyspace.js';
import {mountSmallFs, smallFsUnavailable} from '../helpers/small-fs.js';

const lines = (file: string): string[] => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);

describe('rotating logs', () => {
	const scratch = mkdtempSync(path.join(process.env['SACCOS_TEST_TMPDIR'] || os.tmpdir(), 'saccos-rotate-'));
	after(() => rmSync(scratch, {recursive: true, force: true}));

	it('rotates to .1 … .keep by size and drops the oldest', () => {
		const dir = mkdtempSync(path.join(scratch, 'keep-'));
		const file = path.join(dir, 'logs', 'worker@high.log');
		const maxBytes = 100;
		const log = new RotatingLog(file, maxBytes, 3);
		// 10-byte lines: 10 per file. 65 lines → current + .1 … .6 would be needed; .4 … are dropped.
		const written: string[] = [];
		for (let index = 0; index < 65; index++) {
			const text = `line ${String(index).padStart(3, '0')}\n`;
			assert.equal(Buffer.byteLength(text), 9);
			written.push(text.trimEnd());
			log.write(text);
		}
		log.close();
		for (const suffix of ['', '.1', '.2', '.3']) {
			assert.ok(existsSync(`${file}${suffix}`), `${path.basename(file)}${suffix} exists`);
			assert.ok(statSync(`${file}${suffix}`).size <= maxBytes, `${suffix || 'current'} is at most maxBytes`);
		}
		assert.ok(!existsSync(`${file}.4`), 'nothing beyond .keep');
		// Newest in the current file, then .1 (newer) … .3 (oldest kept); all in order, no gaps.
		const kept = [...lines(`${file}.3`), ...lines(`${file}.2`), ...lines(`${file}.1`), ...lines(file)];
		assert.deepEqual(kept, written.slice(written.length - kept.length), 'the kept lines are the newest ones, in order');
		assert.ok(!kept.includes('line 000'), 'the oldest lines were dropped');
		assert.equal(lines(file).at(-1), 'line 064');
		assert.equal((statSync(file).mode & 0o777).toString(8), '600', 'log files are private');
	});

	it('a reopened log continues the file and rotates when it would pass the limit', () => {
		const dir = mkdtempSync(path.join(scratch, 'reopen-'));
		const file = path.join(dir, 'scheduler.log');
		writeFileSync(file, `${'x'.repeat(90)}\n`);
		const log = new RotatingLog(file, 100, 2);
		log.write('0123456789\n');
		log.close();
		assert.deepEqual(lines(`${file}.1`), ['x'.repeat(90)]);
		assert.deepEqual(lines(file), ['0123456789']);
	});

	it('logs --since reads across the rotated files, oldest first, and only inside the window', async () => {
		const stateDir = mkdtempSync(path.join(scratch, 'since-'));
		const file = logPath(stateDir, 'worker@high');
		// The supervisor's default keep (5), small files; one JSON log line per second, 40 s ago to now.
		const log = new RotatingLog(file, 700, 5);
		const now = Date.now();
		for (let index = 0; index < 40; index++) {
			// 39.5 min ago … 0.5 min ago: each line half a minute from the edge of a 30 min window, however long the run takes.
			const time = now - (40 - index) * 60_000 + 30_000;
			log.write(`${JSON.stringify({level: 'info', time: new Date(time).toISOString(), process: 'worker', pid: 4242, n: index, msg: 'tick'})}\n`);
		}
		log.close();
		const rotated = [1, 2, 3, 4, 5].filter(index => existsSync(`${file}.${index}`));
		assert.ok(rotated.length >= 4, `rotated into several files (.${rotated.join(', .')})`);
		const config = path.join(stateDir, 'config.json');
		writeFileSync(config, JSON.stringify({processes: 'local', queues: {high: {}, default: {}, emails: {}, notifications: {}}}));
		const result = await runCli(['logs', 'worker@high', '--since', '30m', '-n', '1000', '--json', '--config', config], {env: {SACCOS_QUEUE_STATE_DIR: stateDir}});
		assert.equal(result.code, 0, describeResult(result));
		const got = result.stdout.split('\n').filter(Boolean).map(line => JSON.parse(line) as {service: string; time: number; pid: number; text: string});
		assert.equal(got.length, 30, 'the lines of the last 30 minutes');
		const indexes = got.map(line => (JSON.parse(line.text) as {n: number}).n);
		assert.deepEqual(indexes, indexes.slice().sort((a, b) => a - b), 'oldest first');
		assert.equal(indexes.at(-1), 39, 'up to the newest line');
		assert.equal(indexes[0], 10, 'starts at the window: the line 29.5 min old');
		assert.ok(got.every(line => line.service === 'worker@high' && line.pid === 4242));
		const oldest = Math.min(...lines(`${file}.${rotated.at(-1)}`).map(text => (JSON.parse(text) as {n: number}).n));
		assert.ok(oldest < indexes[0]!, 'lines older than the window (in the oldest rotated file) are left out');
		const fromRotated = new Set(lines(`${file}.${rotated.at(-2)}`).map(text => (JSON.parse(text) as {n: number}).n));
		assert.ok(indexes.some(index => fromRotated.has(index)), 'lines come from a rotated file, not only the current one');
	});

	it('following a log loses no line across a rotation', async () => {
		const dir = mkdtempSync(path.join(scratch, 'follow-'));
		const file = path.join(dir, 'worker@high.log');
		const log = new RotatingLog(file, 60, 5);
		const got: string[] = [];
		const abort = new AbortController();
		const following = followFile('worker@high', file, (line: LogLine) => got.push(line.text), abort.signal, 20);
		try {
			log.write('first line of the file\n');
			await waitFor(() => got.includes('first line of the file'), 'the first line to be followed');
			// Between two polls: one line into the current file, then one that rotates it.
			log.write('second line, same file\n');
			log.write('third line, after the rotation\n');
			await waitFor(() => got.includes('third line, after the rotation'), 'the line written after the rotation');
			assert.deepEqual(got, ['first line of the file', 'second line, same file', 'third line, after the rotation'],
				'the line written just before the rotation must not be lost');
		} finally {
			abort.abort();
			await following;
			log.close();
		}
	});

	it('on a full disk a log drops whole lines without throwing, says so once, and writes "N log lines dropped" when there is room again', {skip: smallFsUnavailable()}, t => {
		const disk = mountSmallFs(t, 64 * 1024);
		const file = path.join(disk.dir, 'logs', 'worker@high.log');
		const reports: string[] = [];
		const log = new RotatingLog(file, 1024 * 1024, 5, {report: line => reports.push(line)});
		t.after(() => log.close());
		const line = (index: number) => `${JSON.stringify({level: 'info', n: index, msg: 'job completed', pad: 'p'.repeat(2900)})}\n`;
		log.write(line(0));
		// Room for one more 3 KB line and a part of the next: that part must not stay in the file.
		disk.fill(4096);
		log.write(line(1));
		assert.ok(disk.free() < 3000, `the second line filled the disk (${disk.free()} bytes free)`);
		for (let index = 2; index < 22; index++) log.write(line(index));
		assert.deepEqual(lines(file).map(text => (JSON.parse(text) as {n: number}).n), [0, 1], 'whole lines only: nothing of the dropped ones');
		assert.deepEqual(reports, [`saccos-queue: cannot write the log ${file}: no space left on the device (ENOSPC); log lines are dropped (and counted) until it can be written again`]);

		disk.unfill();
		log.write(line(22));
		const after = lines(file).map(text => JSON.parse(text) as {n?: number; level: string; msg: string; dropped?: number});
		assert.equal(after.length, 4, lines(file).join('\n').slice(0, 500));
		assert.deepEqual({level: after[2]!.level, msg: after[2]!.msg, dropped: after[2]!.dropped}, {level: 'warn', msg: '20 log lines dropped: no space left on the device (ENOSPC)', dropped: 20});
		assert.equal(after[3]!.n, 22);
		assert.equal(reports.length, 1, 'said once');
	});

	it('a rotation that cannot create the new file drops lines instead of throwing, and the log carries on once it can', {skip: smallFsUnavailable()}, t => {
		// Room for three inodes: the root folder, the log and one more file.
		const disk = mountSmallFs(t, 64 * 1024, 3);
		const file = path.join(disk.dir, 'scheduler.log');
		const spare = path.join(disk.dir, 'spare');
		const reports: string[] = [];
		const log = new RotatingLog(file, 100, 2, {report: line => reports.push(line)});
		t.after(() => log.close());
		writeFileSync(spare, '');
		log.write(`${'a'.repeat(60)}\n`);
		log.write(`${'b'.repeat(60)}\n`); // passes 100 bytes: scheduler.log → .1, and no inode left for a new scheduler.log
		log.write(`${'c'.repeat(60)}\n`);
		assert.equal(reports.length, 1, reports.join('\n'));
		assert.match(reports[0]!, /cannot write the log .*scheduler\.log: no space left on the device \(ENOSPC\)/);
		rmSync(spare);
		log.write(`${'d'.repeat(60)}\n`);
		assert.deepEqual(lines(`${file}.1`), ['a'.repeat(60)]);
		assert.deepEqual(lines(file).map(text => (text.startsWith('{') ? (JSON.parse(text) as {msg: string}).msg : text)), ['2 log lines dropped: no space left on the device (ENOSPC)', 'd'.repeat(60)]);
	});
});
