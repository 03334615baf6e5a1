/**
 * Fault e: Redis full (issue 9, part 5). A private redis-server with
 * maxmemory set a little above what it uses and the noeviction policy, then
 * filled until it refuses writes ("OOM command not allowed…").
 *
 * Promise: `dispatch` exits 5 with the code 'redis-oom' and a message that
 * keeps Redis's own words; a worker started then does not die of an internal
 * error (exit 70) — it says what is wrong (or exits with the contract's code).
 */
import {after, before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {Redis} from 'ioredis';
import {testRedisUrl, type RedisServer} from '../helpers/redis-server.js';
import {describeResult, runCli} from '../helpers/cli.js';
import {holdsFor, usePrivateServers, useSandboxes} from '../helpers/worker-process.js';

const OOM = /OOM command not allowed/;

describe('fault: Redis at maxmemory (noeviction)', {concurrency: true}, () => {
	const open = useSandboxes(testRedisUrl());
	const privateServer = usePrivateServers();
	let server: RedisServer;
	let admin: Redis;
	let filled = 0;

	before(async () => {
		server = await privateServer();
		admin = new Redis(server.url, {maxRetriesPerRequest: 0});
		admin.on('error', () => {/* the server stops before this file's after hook */});
		await admin.config('SET', 'maxmemory-policy', 'noeviction');
		const used = Number(/^used_memory:(\d+)/m.exec(await admin.info('memory'))![1]);
		await admin.config('SET', 'maxmemory', String(used + 256 * 1024));
		// Fill it until Redis itself says no: a real full server, not a guess at its size.
		const value = 'x'.repeat(4096);
		for (;;) {
			try {
				await admin.set(`fault-oom-fill:${filled}`, value);
				filled++;
			} catch (error) {
				assert.match((error as Error).message, OOM);
				break;
			}
			assert.ok(filled < 1000, 'Redis never refused a write');
		}
	});

	after(() => {
		admin?.disconnect();
	});

	// A generous guard, not a deadline under test: a loaded 2-core machine has taken over 20 s to run one.
	const dispatch = async () => runCli(['dispatch', 'default', 'loan.approved', '--data', '{"loanId": 42}', '--json', '--redis', server.url, '--prefix', 'fault-oom'], {timeoutMs: 60_000});

	it('dispatch exits 5 and keeps Redis\'s own words', async () => {
		const result = await dispatch();
		console.log(`fault e (Redis OOM): after ${filled} × 4 KB, dispatch → exit ${String(result.code)} in ${Math.round(result.ms)} ms, ${result.stdout.trim().slice(0, 160)}`);
		assert.equal(result.code, 5, describeResult(result));
		const body = JSON.parse(result.stdout) as {error?: {code?: string; message?: string}};
		assert.match(body.error?.message ?? '', OOM, describeResult(result));
	});

	it('dispatch says redis-oom', async () => {
		const result = await dispatch();
		const body = JSON.parse(result.stdout) as {error?: {code?: string; message?: string}};
		assert.equal(body.error?.code, 'redis-oom', describeResult(result));
		assert.equal(result.code, 5, describeResult(result));
	});

	it('a worker started on the full Redis waits it out: it runs, says Redis is out of memory, and does not exit', async () => {
		const box = open('fault-oom', server.url);
		const worker = box.worker(box.writeConfig({queues: {default: {timeout: 5}}}), ['--queue', 'default', '--sleep', '0.2']);
		const waiting = await worker.waitForLine(entry => entry.msg === 'Redis out of memory; retrying', 'the worker saying Redis is out of memory', 30_000);
		assert.equal(waiting.level, 'warn', worker.describe());
		assert.match(JSON.stringify(waiting), OOM, 'Redis\'s own words in the line');
		// The window is the assertion (as in holdsFor): 3 s more, still running.
		await holdsFor(() => worker.child.exitCode === null, 3000, 'the worker still running on the full Redis');
		console.log('fault e (Redis OOM): worker → running, logged "Redis out of memory; retrying"');
	});
});
