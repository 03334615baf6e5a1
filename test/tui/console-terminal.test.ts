/**
 * The console as the terminal sees it, in the real binary under tmux: colour
 * by meaning (a queue's failed count in red, a queue with jobs and no worker
 * flagged), none at all with NO_COLOR or --no-color; ASCII only where the
 * locale is not UTF-8; the shell's screen back as it was after quitting (the
 * alternate screen); and --refresh checked before anything is drawn.
 */
import {randomUUID} from 'node:crypto';
import {after, before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {Queue} from 'bullmq';
import {Redis} from 'ioredis';
import {describeResult, runCli} from '../helpers/cli.js';
import {makeFailedJobs} from '../helpers/failed-jobs.js';
import {deletePrefix, waitFor} from '../helpers/keyspace.js';
import {startRedisServer, type RedisServer} from '../helpers/redis-server.js';
import {NO_TMUX, terminal, type Terminal} from '../helpers/tmux.js';

/** Any SGR sequence that sets a colour (30–37, 90–97, 38;…) — not bold or inverse. */
const COLOUR = /\u001B\[(?:[\d;]*;)?(?:3[0-7]|9[0-7]|38)(?:;[\d;]*)?m/;
const ANY_STYLE = /\u001B\[[\d;]*m/;

describe('console: what the terminal gets', {skip: NO_TMUX, concurrency: false}, () => {
	let server: RedisServer;
	let client: Redis;
	let prefix: string;
	const open: Terminal[] = [];
	before(async () => {
		server = await startRedisServer();
		client = new Redis(server.url, {maxRetriesPerRequest: null});
		prefix = `t${randomUUID().slice(0, 6)}`;
		await makeFailedJobs({url: server.url, prefix, queue: 'emails', count: 3, name: 'email.send'});
		// Jobs waiting on high, and no worker serving it.
		const high = new Queue('high', {connection: client, prefix});
		await high.add('sms.send', {to: '+255700000001'});
		await high.close();
	});
	after(async () => {
		for (const term of open) term.close();
		await deletePrefix(server.url, prefix);
		client.disconnect();
		await server.stop();
	});
	const start = (extra: string[], env: Record<string, string | undefined> = {}, options: Parameters<typeof terminal>[2] = {}) => {
		const term = terminal(['--redis', server.url, '--prefix', prefix, ...extra], env, options);
		open.push(term);
		return term;
	};
	/** The emails row shows its 3 failed jobs (read under the FAILED title, whichever columns fit). */
	const loaded = (screen: string) => {
		const lines = screen.split('\n');
		const header = lines.find(line => /^\s*QUEUE\s/.test(line));
		const row = lines.find(line => /^[\s▸>]*emails\s/.test(line));
		if (!header || !row) return false;
		const column = header.trim().split(/\s+/).indexOf('FAILED');
		return row.replace(/^[\s▸>]*/, '').trim().split(/\s+/)[column] === '3';
	};

	it('colour by meaning: the failed count in red, a queue with jobs and nobody serving it red and named NO WORKER', async () => {
		const term = start([]);
		await term.until(loaded, 'the queues, loaded', 20_000);
		const styled = term.styled();
		const high = styled.split('\n').find(line => line.includes('high'))!;
		assert.match(term.screen(), /high\s+NO WORKER\s+1/);
		assert.match(high, /\u001B\[(?:[\d;]*;)?31m/, `the high row is not red: ${JSON.stringify(high)}`);
		const emails = styled.split('\n').find(line => line.includes('emails'))!;
		assert.match(emails, /\u001B\[(?:[\d;]*;)?31m\s*3\b/, `the failed count of emails is not red: ${JSON.stringify(emails)}`);
		term.keys('q');
		await waitFor(() => term.exited(), 'the console to quit');
	});

	for (const [what, extra, env] of [['NO_COLOR=1', [], {NO_COLOR: '1'}], ['NO_COLOR= (empty)', [], {NO_COLOR: ''}], ['--no-color', ['--no-color'], {}]] as const) {
		it(`${what}: not one colour, bold or inverse escape on the screen; the meaning still in words`, async () => {
			const term = start([...extra], env);
			await term.until(loaded, 'the queues, loaded', 20_000);
			const styled = term.styled();
			assert.doesNotMatch(styled, COLOUR, 'a colour escape');
			assert.doesNotMatch(styled, ANY_STYLE, 'a style escape');
			assert.match(term.screen(), /high\s+NO WORKER/);
			term.keys('q');
			await waitFor(() => term.exited(), 'the console to quit');
		});
	}

	it('LANG=C: every character on the screen is ASCII; the selection and the separators have stand-ins', async () => {
		const term = start([], {LANG: 'C'});
		await term.until(loaded, 'the queues, loaded', 20_000);
		const screen = term.screen();
		const wide = [...screen].filter(char => !/[\u0000-\u007F]/.test(char));
		assert.deepEqual(wide, [], `non-ASCII characters on the screen:\n${screen}`);
		assert.match(screen, /^> high/m, 'the selected row is marked with >');
		assert.match(screen, /queues \| jobs \| workers/, 'the tabs separated by |');
		term.keys('q');
		await waitFor(() => term.exited(), 'the console to quit');
	});

	it('after q the shell\'s screen is back as it was: the console\'s last frame is not left behind', async () => {
		const term = start([], {}, {before: 'before-the-console'});
		await term.until(loaded, 'the queues, loaded', 20_000);
		assert.doesNotMatch(term.screen(), /before-the-console/, 'the console has a screen of its own');
		term.keys('q');
		await waitFor(() => term.exited(), 'the console to quit');
		await term.until(screen => screen.includes('before-the-console'), 'the shell\'s screen back');
		assert.doesNotMatch(term.screen(), /QUEUE|emails/, 'the console\'s frame left on the shell\'s screen');
	});

	it('a resize redraws the whole screen at the new size: no line of the old frame left behind', async () => {
		const term = start([]);
		await term.until(loaded, 'the queues, loaded', 20_000);
		term.resize(90, 25);
		await term.until(screen => screen.split('\n').every(line => line.length <= 90) && /^saccos-queue /.test(screen) && loaded(screen), 'the frame at 90×25', 10_000);
		const lines = term.screen().split('\n');
		assert.equal(lines.filter(line => /^saccos-queue /.test(line)).length, 1, 'one header');
		assert.equal(lines.filter(line => /QUEUE\s+STATE/.test(line)).length, 1, 'one table head');
		term.keys('q');
		await waitFor(() => term.exited(), 'the console to quit');
	});

	it('--refresh outside 500ms–60s is a usage error before anything is drawn', async () => {
		const result = await runCli(['console', '--refresh', '10ms', '--redis', server.url]);
		assert.equal(result.code, 2, describeResult(result));
		assert.match(result.stderr, /--refresh "10ms" is not a duration from 500ms to 60s/);
	});
});
