/**
 * The console end to end: the real binary in a real terminal (tmux) against a
 * private redis-server holding failed jobs another BullMQ application made.
 * With no command on a terminal, `saccos-queue` opens the console; browsing
 * writes nothing to Redis (keyspace digest); R on a queue asks for its name,
 * then moves its failed jobs to waiting and audits it; q quits with exit 0.
 * With --read-only: the badge, and R changes nothing.
 */
import {randomUUID} from 'node:crypto';
import {after, before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {Queue} from 'bullmq';
import {Redis} from 'ioredis';
import {runCli} from '../helpers/cli.js';
import {makeFailedJobs} from '../helpers/failed-jobs.js';
import {describeDigestDiff, keyspaceDigest, waitFor} from '../helpers/keyspace.js';
import {startRedisServer, type RedisServer} from '../helpers/redis-server.js';
import {NO_TMUX, terminal} from '../helpers/tmux.js';

const failedOf = (screen: string, queue: string): number | undefined => {
	const lines = screen.split('\n');
	const header = lines.find(line => /^\s*QUEUE\s/.test(line));
	const row = lines.find(line => new RegExp(`^\\s*▸?\\s*${queue}\\s`).test(line));
	if (!header || !row) return undefined;
	const column = header.trim().split(/\s+/).indexOf('FAILED');
	return Number(row.replace(/^\s*▸/, '').trim().split(/\s+/)[column]);
};

describe('console in a real terminal', {skip: NO_TMUX, concurrency: false}, () => {
	let server: RedisServer;
	let client: Redis;
	before(async () => {
		server = await startRedisServer();
		client = new Redis(server.url);
	});
	after(async () => {
		client.disconnect();
		await server.stop();
	});

	it('saccos-queue with no command opens the console; browsing every view writes nothing; R + the typed queue name retries and audits; q exits 0', {timeout: 90_000}, async () => {
		const prefix = `c${randomUUID().slice(0, 6)}`;
		await makeFailedJobs({url: server.url, prefix, queue: 'emails', count: 5, name: 'email.send'});
		const term = terminal(['--redis', server.url, '--prefix', prefix]);
		try {
			const digest = await keyspaceDigest(client);
			await term.until(screen => failedOf(screen, 'emails') === 5, 'the emails row with 5 failed jobs', 20_000);
			// Browse: the jobs of emails (failed), the help, another view, back.
			term.keys('j', 'j');
			await term.until(screen => /▸ emails/.test(screen), 'the selection on emails');
			term.keys('Enter');
			await term.until(screen => screen.includes('core banking timeout'), 'the failed jobs of emails with their reason', 10_000);
			term.keys('q');
			await term.until(screen => /▸ emails/.test(screen), 'back on the queues view');
			term.keys('?');
			await term.until(screen => screen.includes('retry every failed job'), 'the help overlay');
			term.keys('Escape');
			// Wait for the help to close: an Esc followed at once by R reads as Alt-R on a terminal.
			await term.until(screen => !screen.includes('retry every failed job') && /▸ emails/.test(screen), 'the help to close');
			// Every other view once (each footer names its own keys), and back to the queues.
			for (const footer of ['Space mark', 'x stop', 't run now', 'S restart', 'f follow', 'f pause/follow', 'R retry all']) {
				term.keys('Tab');
				await term.until(screen => screen.includes(footer), `the view whose footer has "${footer}"`, 10_000);
			}
			await term.until(screen => /▸ emails/.test(screen), 'the queues view, emails still selected');
			const after = await keyspaceDigest(client);
			assert.equal(after.hash, digest.hash, `browsing the console wrote to Redis:\n${describeDigestDiff(digest.entries, after.entries)}`);

			term.keys('R');
			await term.until(screen => screen.includes('Type "emails" to confirm'), 'the confirmation prompt');
			term.type('emails');
			term.keys('Enter');
			await term.until(screen => screen.includes('retried 5 failed jobs of emails'), 'the outcome in the flash line', 10_000);
			assert.equal(await client.zcard(`${prefix}:emails:failed`), 0);
			assert.equal(await client.llen(`${prefix}:emails:wait`), 5);
			const audit = await client.xrevrange(`${prefix}:saccos-queue:audit`, '+', '-', 'COUNT', 5);
			const fields = audit.map(([, values]) => Object.fromEntries(values.reduce<string[][]>((pairs, value, index) => (index % 2 === 0 ? [...pairs, [value]] : (pairs.at(-1)!.push(value), pairs)), [])));
			assert.ok(fields.some(record => record['action'] === 'retry-all' && record['queue'] === 'emails' && record['count'] === '5'), `no audit record of the retry: ${JSON.stringify(fields)}`);

			term.keys('q');
			assert.equal((await waitFor(() => term.exited(), 'the console to exit after q', 15_000)).code, 0);
		} finally {
			term.close();
		}
	});

	it('console --view events shows a job another application adds, as it happens', {timeout: 60_000}, async () => {
		const prefix = `e${randomUUID().slice(0, 6)}`;
		const queue = new Queue('emails', {connection: client, prefix});
		await queue.waitUntilReady();
		const term = terminal(['console', '--view', 'events', '--redis', server.url, '--prefix', prefix]);
		try {
			await term.until(screen => screen.includes('waiting for events'), 'the events view', 20_000);
			const job = await queue.add('email.send', {to: 'member@example.com'});
			await term.until(screen => new RegExp(`emails\\s+added\\s+job ${job.id!}`).test(screen), 'the added event on screen', 10_000);
			term.keys('q');
			assert.equal((await waitFor(() => term.exited(), 'the console to exit after q', 15_000)).code, 0);
		} finally {
			term.close();
			await queue.close();
		}
	});

	it('a Redis password never reaches the screen: not in the header, not when the server goes away', {timeout: 60_000}, async () => {
		const password = `pw-${randomUUID().slice(0, 8)}-secret`;
		const locked = await startRedisServer({password});
		const term = terminal(['--redis', locked.url, '--prefix', `p${randomUUID().slice(0, 6)}`]);
		try {
			// Loaded (the update time), not just drawn: the marker is for data once seen.
			await term.until(screen => screen.includes('QUEUE') && /updated \d\d:\d\d:\d\d/.test(screen), 'the queue table, loaded', 20_000);
			await locked.stop();
			await term.until(screen => screen.includes('STALE'), 'the stale marker once Redis is gone', 20_000);
			const screen = term.screen();
			assert.ok(!screen.includes(password) && !screen.includes(encodeURIComponent(password)), `the password on screen:\n${screen}`);
			assert.match(screen, /redis:\/\/(?:\*\*\*|:\*\*\*)@127\.0\.0\.1/, 'the address is shown, its password masked');
		} finally {
			term.close();
			await locked.stop();
		}
	});

	it('--read-only: the READ-ONLY badge; R changes nothing and says why', {timeout: 60_000}, async () => {
		const prefix = `r${randomUUID().slice(0, 6)}`;
		await makeFailedJobs({url: server.url, prefix, queue: 'emails', count: 3, name: 'email.send'});
		const term = terminal(['--redis', server.url, '--prefix', prefix, '--read-only']);
		try {
			const digest = await keyspaceDigest(client);
			await term.until(screen => failedOf(screen, 'emails') === 3, 'the emails row with 3 failed jobs', 20_000);
			assert.match(term.screen(), /READ-ONLY/);
			term.keys('j', 'j', 'R');
			await term.until(screen => screen.includes('read-only (started with --read-only): "retry all" is off'), 'the read-only note, with its reason');
			const after = await keyspaceDigest(client);
			assert.equal(after.hash, digest.hash, describeDigestDiff(digest.entries, after.entries));
			term.keys('C-c');
			assert.equal((await waitFor(() => term.exited(), 'the console to exit on Ctrl-C', 15_000)).code, 0);
		} finally {
			term.close();
		}
	});
});

describe('console without a terminal', () => {
	it('`console` with stdin/stdout not a terminal exits 2 with a one-line error and a hint', async () => {
		const result = await runCli(['console', '--redis', 'redis://127.0.0.1:1']);
		assert.equal(result.code, 2, result.stderr);
		assert.match(result.stderr, /the console needs a terminal/);
		assert.match(result.stderr, /status --json/);
		assert.equal(result.stderr.trim().split('\n').length, 2, result.stderr);
	});
});

