/**
 * The console's jobs and job views on jobs of 2 MB and 20 MB, and a failure
 * of 5 MB, under ink-testing-library — over the real ConsoleApi on Redis (no
 * fixture: the size of what Redis hands over is the point):
 *
 * - a page holding the 20 MB job shows it at once, with its size and start;
 * - its detail shows the first 64 KB under the size, and no more lines than
 *   64 KB make;
 * - a 5 MB reason and stack trace say their size too;
 * - e writes the whole job to a private file (0600 in a 0700 folder), opens
 *   it in $PAGER, and the file is gone afterwards.
 */
import {after, afterEach, before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {randomUUID} from 'node:crypto';
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {defaultConfig} from '../../source/config.js';
import {connect, type Connection} from '../../source/data/connection.js';
import {createConsoleApi, type ConsoleApi} from '../../source/store/console-api.js';
import {renderConsole, type ConsoleHarness} from '../helpers/console.js';
import {makeHugeFailure, makeHugeJobs, type HugeJobs} from '../helpers/huge-jobs.js';
import {deletePrefix} from '../helpers/keyspace.js';
import {testRedisUrl} from '../helpers/redis-server.js';

const url = testRedisUrl();
/** The first read of a 20 MB field costs the server a copy of it: generous on a loaded machine. */
const LOAD_MS = 20_000;

describe('console: jobs of 2 MB and 20 MB, a failure of 5 MB', {concurrency: false}, () => {
	const prefix = `test-${randomUUID()}`;
	let connection: Connection;
	let made: HugeJobs;
	let failure: {id: string; reason: string};
	let harness: ConsoleHarness | undefined;
	const scratch = mkdtempSync(path.join(os.tmpdir(), 'saccos-huge-view-'));

	/** A real ConsoleApi (its pager read from PAGER as the console reads it at start). */
	const apiWith = (pager: string): ConsoleApi => {
		process.env['PAGER'] = pager;
		const config = {...defaultConfig(), redis: {kind: 'url' as const, url}, prefix};
		return createConsoleApi({connection, config, openController: async () => Promise.reject(new Error('no process backend in this test'))});
	};

	before(async () => {
		made = await makeHugeJobs(url, prefix);
		failure = await makeHugeFailure(url, prefix);
		connection = await connect({...defaultConfig(), redis: {kind: 'url', url}, prefix}, 'console');
	});
	afterEach(() => harness?.unmount());
	after(async () => {
		await connection?.close();
		await deletePrefix(url, prefix);
		rmSync(scratch, {recursive: true, force: true});
	});

	it('a page holding the 20 MB job: its row shows the size and the start of its data', async () => {
		harness = await renderConsole(apiWith('less'), {view: 'jobs', queue: 'reports', state: 'waiting'});
		const frame = await harness.waitFor(text => text.includes('1–5 of 5 waiting'), 'the page', LOAD_MS);
		assert.match(frame, new RegExp(`\\n\\s+${made.big.id}\\s+report\\.big\\s+0\\s+\\S+ ago\\s+20\\.0 MB \\{"statement":"QUJDQUJD`));
		assert.match(frame, new RegExp(`\\n\\s+${made.mid.id}\\s+report\\.mid\\s+0\\s+\\S+ ago\\s+2\\.0 MB \\{"statement":"QUJDQUJD`));
		assert.match(frame, /\{"to":"a@example\.com"\}/);
	});

	it('Enter on it: the first 64 KB under its size, a bounded body, the end of what was read marked', async () => {
		harness = await renderConsole(apiWith('less'), {view: 'jobs', queue: 'reports', state: 'waiting'});
		await harness.waitFor(text => text.includes('1–5 of 5 waiting'), 'the page', LOAD_MS);
		await harness.press('bottom', 'jobs');
		await harness.waitFor(text => new RegExp(`▸ ${made.big.id}\\s+report\\.big`).test(text), 'the 20 MB job selected');
		await harness.press('inspect', 'jobs');
		const frame = await harness.waitFor(text => text.includes('Data — '), 'the detail', LOAD_MS);
		assert.ok(frame.includes('Data — 20.0 MB, showing the first 64.0 KB; e opens it all in less'), frame);
		assert.match(frame, /\n {2}\{\n {4}"statement": "QUJDQUJD/);
		const rows = Number(/lines 1–\d+ of ([\d,]+)/.exec(frame)?.[1]?.replace(/,/g, ''));
		// The data's one long line shows 40 rows, then how much of what was read is left.
		assert.ok(rows > 40 && rows < 100, `${rows} rows`);
		await harness.press('bottom', 'job');
		const end = await harness.waitFor(text => text.includes('… (cut here)'), 'the end of what was read');
		assert.match(end, /\n {6}… 6\d,\d{3} more characters on this line\n {2}… \(cut here\)/);
		assert.ok(!end.includes('END-OF-20MB'));
		assert.match(end, /Options\n/);
	});

	it('a failure of 5 MB: its reason and its stack traces say their size and show their start', async () => {
		harness = await renderConsole(apiWith('less'), {view: 'job', queue: 'sms', id: failure.id}, {columns: 140, rows: 60});
		const frame = await harness.waitFor(text => text.includes('Failed reason'), 'the detail', LOAD_MS);
		assert.ok(frame.includes('Failed reason — 5.0 MB, showing the first 64.0 KB; e opens it all in less'), frame);
		assert.match(frame, /\n {2}gateway said: EEEEEEEE/);
		// One line of 64 KB shows 40 rows, then how much of it is left: the stack traces come next.
		assert.match(frame, /\n {4}… [\d,]+ more characters on this line\n/);
		assert.match(frame, /Stack traces — 5\.0 MB, showing the first 6\d\.\d KB; e opens them all in less \(oldest first\)\n {2}Error: gateway said: EEEE/);
	});

	it('e: the whole job in $PAGER, from a private file (0600, folder 0700) that is gone afterwards', async () => {
		const tmp = mkdtempSync(path.join(scratch, 'tmp-'));
		const seen = path.join(scratch, 'seen.txt');
		const facts = path.join(scratch, 'facts');
		// A "pager" that keeps a copy of what it was given and notes its path and modes.
		const pager = `sh -c 'cp "$1" ${seen}; { echo "$1"; stat -c %a "$1"; stat -c %a "$(dirname "$1")"; } > ${facts}' pager`;
		const previous = process.env['TMPDIR'];
		process.env['TMPDIR'] = tmp;
		try {
			harness = await renderConsole(apiWith(pager), {view: 'job', queue: 'reports', id: made.big.id});
			await harness.waitFor(text => text.includes('Data — 20.0 MB'), 'the detail', LOAD_MS);
			await harness.key('e');
			await harness.waitFor(text => text.includes(`job ${made.big.id} (20.`) && text.includes(") closed in sh"), 'the pager closed', 60_000);
		} finally {
			if (previous === undefined) delete process.env['TMPDIR'];
			else process.env['TMPDIR'] = previous;
		}
		const [file, fileMode, folderMode] = readFileSync(facts, 'utf8').trim().split('\n');
		assert.equal(path.dirname(path.dirname(file!)), tmp, 'in the temporary folder');
		assert.equal(fileMode, '600');
		assert.equal(folderMode, '700');
		assert.ok(!existsSync(file!), 'the file is removed');
		assert.deepEqual(readdirSync(tmp), [], 'nothing left behind');
		assert.ok(statSync(seen).size > made.big.bytes, 'the whole data, laid out');
		const text = readFileSync(seen, 'utf8');
		assert.ok(text.startsWith(`reports / ${made.big.id}  report.big\n`), text.slice(0, 200));
		assert.ok(text.includes(`\nData (20.0 MB)\n{\n  "statement": "QUJDQUJD`));
		assert.ok(text.endsWith('",\n  "end": "END-OF-20MB"\n}\n'), text.slice(-200));
		// Laid out as JSON.stringify would lay out the whole.
		assert.deepEqual(JSON.parse(text.slice(text.indexOf('\nData (20.0 MB)\n') + '\nData (20.0 MB)\n'.length)), made.big.data);
	});
});
