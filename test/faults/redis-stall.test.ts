/**
 * A Redis that accepts connections but never answers — SIGSTOPped, swapping,
 * stuck — must not hold a command: every Redis command of a CLI run has a
 * deadline (config "redisTimeout", 5 s), so reads, writes and `doctor` end
 * with exit 3 (code redis-timeout) saying the server did not answer, and
 * change nothing.
 */
import assert from 'node:assert/strict';
import {after, before, describe, it} from 'node:test';
import {Queue} from 'bullmq';
import {startRedisServer, type RedisServer} from '../helpers/redis-server.js';
import {describeResult, parseJson, runCli} from '../helpers/cli.js';

type ErrorJson = {error: {code: string; message: string; hint: string}};

/**
 * The deadline (5 s) plus slack, over what the same command takes against the
 * same server when it answers (measured just before, so a loaded machine's
 * slow node start counts on both sides); a hang used to last 15–30 s.
 */
const DEADLINE_MS = 5000;
const SLACK_MS = 4000;

describe('Redis stalled (SIGSTOP): every CLI command ends by its deadline', {concurrency: 4}, () => {
	const commands: string[][] = [
		['status', '--json'],
		['queues', '--json'],
		['jobs', 'emails', '--json'],
		['failed', '--json'],
		['monitor', '--json'],
		['workers', '--json'],
		['schedule', 'list', '--json'],
		['doctor', '--json'],
		['dispatch', 'emails', 'send', '--data', '{}', '--json'],
		['pause', 'emails', '--yes', '--json'],
	];

	let server: RedisServer;
	/** Each command's time against the server while it answers, by its first two words. */
	const healthy = new Map<string, number>();
	const label = (args: string[]) => args.slice(0, 2).join(' ');

	before(async () => {
		server = await startRedisServer();
		const queue = new Queue('emails', {connection: {host: '127.0.0.1', port: server.port}});
		await queue.add('send', {to: 'a@example.org'});
		await queue.close();
		for (let at = 0; at < commands.length; at += 4) {
			await Promise.all(commands.slice(at, at + 4).map(async args => {
				const result = await runCli([...args, '--redis', server.url, ...(args[0] === 'pause' ? ['--dry-run'] : [])], {timeoutMs: 40_000});
				healthy.set(label(args), result.ms);
			}));
		}
		server.kill('SIGSTOP');
	});

	after(async () => {
		server?.kill('SIGCONT');
		await server?.stop();
	});


	for (const args of commands) {
		it(`${label(args)}: exit 3, redis-timeout, within the ${DEADLINE_MS / 1000} s deadline of its usual time`, async () => {
			const result = await runCli([...args, '--redis', server.url], {timeoutMs: 40_000});
			assert.equal(result.code, 3, describeResult(result));
			const {error} = parseJson<ErrorJson>(result);
			assert.equal(error.code, 'redis-timeout');
			assert.match(error.message, /did not answer in time/);
			const usual = healthy.get(label(args))!;
			console.log(`fault d (Redis stalled): ${label(args)} → exit ${String(result.code)} ${error.code} in ${Math.round(result.ms)} ms (${Math.round(usual)} ms when Redis answers)`);
			assert.ok(result.ms < usual + DEADLINE_MS + SLACK_MS, `took ${Math.round(result.ms)} ms; ${Math.round(usual)} ms when Redis answers`);
		});
	}

	it('the deadline is configurable: SACCOS_QUEUE_REDIS_TIMEOUT=1 ends sooner', async () => {
		const result = await runCli(['status', '--json', '--redis', server.url], {env: {SACCOS_QUEUE_REDIS_TIMEOUT: '1'}, timeoutMs: 40_000});
		assert.equal(result.code, 3, describeResult(result));
		assert.ok(result.ms < healthy.get('status --json')! + 1000 + SLACK_MS, `took ${Math.round(result.ms)} ms`);
	});
});
