/**
 * Fault d: a Redis that accepts connections but never answers (issue 9,
 * part 5): a private redis-server frozen with SIGSTOP (the kernel still
 * completes the TCP handshake), thawed with SIGCONT in `after`.
 *
 * Promise: every read command gives up within about 5 s — exit 3, and with
 * --json the error {"code": "redis-timeout"} whose message says Redis did not
 * answer. Not true yet (the lead is giving every command a deadline): todo.
 */
import {after, before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {Queue} from 'bullmq';
import {startRedisServer, type RedisServer} from '../helpers/redis-server.js';
import {describeResult, runCli} from '../helpers/cli.js';

const DEADLINE_MS = 6000;
const TODO = 'deadline: lead';

describe('fault: Redis stalled (SIGSTOP) during reads', {concurrency: true}, () => {
	let server: RedisServer | undefined;
	let frozen = false;
	const prefix = 'fault-stall';

	before(async () => {
		server = await startRedisServer();
		const queue = new Queue('default', {connection: {url: server.url}, prefix});
		try {
			await queue.add('report', {period: '2026-11'});
		} finally {
			await queue.close();
		}
		server.kill('SIGSTOP');
		frozen = true;
	});

	after(async () => {
		try {
			if (frozen) server?.kill('SIGCONT');
		} finally {
			await server?.stop();
		}
	});

	for (const args of [['status'], ['jobs', 'default'], ['doctor']]) {
		it(`${args.join(' ')} --json: exit 3 within ${DEADLINE_MS / 1000} s, code redis-timeout, "did not answer"`, {todo: TODO}, async () => {
			// Killed a little after the deadline, so that today's hang costs the suite seconds, not minutes.
			const result = await runCli([...args, '--json', '--redis', server!.url, '--prefix', prefix], {timeoutMs: DEADLINE_MS + 2000});
			console.log(`fault d (Redis stalled): ${args.join(' ')} → exit ${String(result.code ?? result.signal)} after ${Math.round(result.ms)} ms`);
			assert.equal(result.code, 3, describeResult(result));
			assert.ok(result.ms <= DEADLINE_MS, `took ${Math.round(result.ms)} ms`);
			const body = JSON.parse(result.stdout) as {error?: {code?: string; message?: string}};
			assert.equal(body.error?.code, 'redis-timeout', describeResult(result));
			assert.match(body.error?.message ?? '', /did not answer/i, describeResult(result));
		});
	}
});
