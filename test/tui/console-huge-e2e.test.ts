/**
 * The real console in a real terminal (tmux) on a queue holding a job of
 * 20 MB (and one of 2 MB). It once froze for minutes at 100% CPU, grew to
 * 1.5 GB, and ignored ^C and SIGTERM. Now: the page and the detail appear
 * within seconds, a key still answers at once, the memory stays that of a
 * console, SIGTERM and ^C end it promptly, and e pages the whole job through
 * less — from a private temporary file that is removed afterwards, also when
 * SIGTERM arrives while less is open.
 *
 * The memory (RSS) figures are printed as diagnostics.
 */
import {after, before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {randomUUID} from 'node:crypto';
import {mkdtempSync, readdirSync, readFileSync, rmSync, statSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {makeHugeJobs, type HugeJobs} from '../helpers/huge-jobs.js';
import {waitFor} from '../helpers/keyspace.js';
import {startRedisServer, type RedisServer} from '../helpers/redis-server.js';
import {alive, NO_TMUX, rssMb, terminal, type Terminal} from '../helpers/tmux.js';

/** What "promptly" means for a signal on a loaded 2-core machine. */
const PROMPT_MS = 5000;

describe('console in a real terminal on a 20 MB job', {skip: NO_TMUX, concurrency: false}, () => {
	let server: RedisServer;
	let made: HugeJobs;
	const prefix = `h${randomUUID().slice(0, 6)}`;
	const tmp = mkdtempSync(path.join(os.tmpdir(), 'saccos-huge-e2e-'));

	before(async () => {
		server = await startRedisServer();
		made = await makeHugeJobs(server.url, prefix);
	});
	after(async () => {
		await server?.stop();
		rmSync(tmp, {recursive: true, force: true});
	});

	/** The console on the waiting jobs of `reports`, $PAGER less, temporary files in a folder of the test's. */
	const open = (): Terminal => terminal(['console', '--view', 'jobs', '--queue', 'reports', '--redis', server.url, '--prefix', prefix], {PAGER: 'less', LESS: undefined, TMPDIR: tmp});

	/** Opens the page, selects the 20 MB job (the last row) and opens it; how long the detail took to appear. */
	async function openBigJob(term: Terminal): Promise<number> {
		await term.until(screen => screen.includes('1–5 of 5 waiting') && screen.includes('20.0 MB {"statement"'), 'the page with the 20 MB job', 30_000);
		term.keys('G');
		await term.until(screen => new RegExp(`▸ ${made.big.id}\\s+report\\.big`).test(screen), 'the 20 MB job selected');
		const started = performance.now();
		term.keys('Enter');
		await term.until(screen => screen.includes('Data — 20.0 MB, showing the first 64.0 KB; e opens it all in less'), 'the detail of the 20 MB job', 15_000);
		return performance.now() - started;
	}

	it('the page and the detail of the 20 MB job within seconds; a key answers at once; the memory stays small; SIGTERM ends it', {timeout: 120_000}, async t => {
		const term = open();
		try {
			const pid = await term.pid();
			await term.until(screen => screen.includes('1–5 of 5 waiting'), 'the page', 30_000);
			const onPage = rssMb(pid);
			const shownMs = await openBigJob(term);
			assert.ok(shownMs < 8000, `the detail took ${Math.round(shownMs)} ms`);
			assert.match(term.screen(), /\n {4}"statement": "QUJDQUJD/);
			const asked = performance.now();
			term.keys('?');
			await term.until(screen => screen.includes('the whole job (data, error, stack traces, however large) in $PAGER'), 'the help of the job view', 3000);
			const answeredMs = performance.now() - asked;
			term.keys('Escape');
			await term.until(screen => screen.includes('Data — 20.0 MB'), 'the help closed');
			const opened = rssMb(pid);
			t.diagnostic(`RSS with the 20 MB job on a page: ${onPage.toFixed(0)} MB; with it opened: ${opened.toFixed(0)} MB; detail shown in ${Math.round(shownMs)} ms; ? answered in ${Math.round(answeredMs)} ms`);
			assert.ok(opened < 250, `the console holds ${opened.toFixed(0)} MB with the job open`);

			const signalled = performance.now();
			process.kill(pid, 'SIGTERM');
			const {code} = await waitFor(() => term.exited(), 'the console to end on SIGTERM', PROMPT_MS);
			t.diagnostic(`SIGTERM ended it in ${Math.round(performance.now() - signalled)} ms`);
			assert.equal(code, 143, 'ended by SIGTERM (128 + 15)');
		} finally {
			term.close();
		}
	});

	it('^C right after Enter on the 20 MB job quits at once, exit 0', {timeout: 120_000}, async () => {
		const term = open();
		try {
			await term.until(screen => screen.includes('1–5 of 5 waiting') && screen.includes('20.0 MB'), 'the page', 30_000);
			term.keys('G');
			await term.until(screen => new RegExp(`▸ ${made.big.id}\\s`).test(screen), 'the 20 MB job selected');
			term.keys('Enter');
			term.keys('C-c');
			assert.equal((await waitFor(() => term.exited(), 'the console to quit on ^C', PROMPT_MS)).code, 0);
		} finally {
			term.close();
		}
	});

	it('e pages the whole job in less from a private file; q gives the console back and the file is gone; SIGTERM while less is open ends both', {timeout: 180_000}, async t => {
		const term = open();
		try {
			const pid = await term.pid();
			await openBigJob(term);
			term.keys('e');
			// less shows the file's first lines: the job, then its data laid out.
			await term.until(screen => screen.startsWith(`reports / ${made.big.id}  report.big`) && screen.includes('Data (20.0 MB)') && !screen.includes('saccos-queue redis://'), 'less on the whole job', 60_000);
			const [folder] = readdirSync(tmp);
			const [file] = readdirSync(path.join(tmp, folder!));
			assert.equal(statSync(path.join(tmp, folder!)).mode & 0o777, 0o700);
			assert.equal(statSync(path.join(tmp, folder!, file!)).mode & 0o777, 0o600);
			const paged = path.join(tmp, folder!, file!);
			assert.ok(statSync(paged).size > made.big.bytes, 'all of the data, laid out');
			assert.ok(readFileSync(paged, 'utf8').endsWith('",\n  "end": "END-OF-20MB"\n}\n'), 'to its very end');
			term.keys('q');
			await term.until(screen => screen.includes('Data — 20.0 MB') && /job \d+ \(20\.\d MB\) closed in less/.test(screen), 'the console back, saying less closed', 10_000);
			assert.deepEqual(readdirSync(tmp), [], 'the file and its folder are removed');
			term.keys('j');
			await term.until(screen => screen.includes('lines 2–'), 'the console answering keys again');

			term.keys('e');
			await term.until(screen => screen.startsWith(`reports / ${made.big.id}`), 'less again', 60_000);
			const [pager] = term.childrenOf(pid);
			assert.ok(pager && alive(pager), 'less runs as the console\'s child');
			const signalled = performance.now();
			process.kill(pid, 'SIGTERM');
			const {code} = await waitFor(() => term.exited(), 'the console to end on SIGTERM while less is open', PROMPT_MS);
			t.diagnostic(`SIGTERM with less open ended both in ${Math.round(performance.now() - signalled)} ms`);
			assert.equal(code, 143);
			await waitFor(() => !alive(pager), 'less to end with the console', PROMPT_MS);
			assert.deepEqual(readdirSync(tmp), [], 'the file is removed on SIGTERM too');
		} finally {
			term.close();
		}
	});
});
