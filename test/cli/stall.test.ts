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

/** The deadline (5 s) plus a node start on a loaded 2-core machine; a hang lasts 15–30 s. */
const WITHIN_MS = 10_000;

describe('Redis stalled (SIGSTOP): every CLI command ends by its deadline', {concurrency: 4}, () => {
	let server: RedisServer;

	before(async () => {
		server = await startRedisServer();
		const queue = new Queue('emails', {connection: {host: '127.0.0.1', port: server.port}});
		await queue.add('send', {to: 'a@example.org'});
		await queue.close();
		server.kill('SIGSTOP');
	});

	after(async () => {
		server?.kill('SIGCONT');
		await server?.stop();
	});

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

	for (const args of commands) {
		it(`${args.slice(0, 2).join(' ')}: exit 3, redis-timeout, within ${WITHIN_MS / 1000} s`, async () => {
			const result = await runCli([...args, '--redis', server.url], {timeoutMs: 40_000});
			assert.equal(result.code, 3, describeResult(result));
			const {error} = parseJson<ErrorJson>(result);
			assert.equal(error.code, 'redis-timeout');
			assert.match(error.message, /did not answer in time/);
			assert.ok(result.ms < WITHIN_MS, `took ${Math.round(result.ms)} ms`);
		});
	}

	it('the deadline is configurable: SACCOS_QUEUE_REDIS_TIMEOUT=1 ends sooner', async () => {
		const result = await runCli(['status', '--json', '--redis', server.url], {env: {SACCOS_QUEUE_REDIS_TIMEOUT: '1'}, timeoutMs: 40_000});
		assert.equal(result.code, 3, describeResult(result));
		assert.ok(result.ms < WITHIN_MS - 4000, `took ${Math.round(result.ms)} ms`);
	});
});
