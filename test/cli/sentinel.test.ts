/**
 * Redis Sentinel from the config: the read commands find the master through
 * a real sentinel (redis-server --sentinel), with a password on the master.
 */
import assert from 'node:assert/strict';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {after, before, describe, it} from 'node:test';
import {spawn, type ChildProcess} from 'node:child_process';
import {freePort, startRedisServer, type RedisServer} from '../helpers/redis-server.js';
import {parseJson, runCli, writeConfig} from '../helpers/cli.js';
import {waitFor} from '../helpers/keyspace.js';
import {fillLikeAnotherApp, bullmqCounts, SEED_QUEUES} from '../helpers/fill.js';
import {Redis} from 'ioredis';

const password = 'sentinel-test-pw';
let master: RedisServer;
let sentinel: ChildProcess;
let sentinelPort: number;
let dir: string;
const prefix = `test-sentinel-${process.pid}`;

describe('Redis Sentinel', () => {
	before(async () => {
		master = await startRedisServer({password});
		dir = mkdtempSync(path.join(process.env['SACCOS_TEST_TMPDIR'] || os.tmpdir(), 'saccos-sentinel-'));
		sentinelPort = await freePort();
		const conf = path.join(dir, 'sentinel.conf');
		writeFileSync(conf, [
			`port ${sentinelPort}`,
			'bind 127.0.0.1',
			`dir ${dir}`,
			`sentinel monitor mymaster 127.0.0.1 ${master.port} 1`,
			`sentinel auth-pass mymaster ${password}`,
			'',
		].join('\n'));
		sentinel = spawn('redis-server', [conf, '--sentinel'], {stdio: 'ignore'});
		const probe = new Redis({port: sentinelPort, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => 200});
		probe.on('error', () => {});
		await waitFor(async () => {
			try {
				const reply = (await probe.call('SENTINEL', 'get-master-addr-by-name', 'mymaster')) as string[] | null;
				return reply && Number(reply[1]) === master.port;
			} catch {
				return false;
			}
		}, 'the sentinel to know the master');
		probe.disconnect();
		await fillLikeAnotherApp(master.url, prefix);
	});

	after(async () => {
		sentinel?.kill('SIGKILL');
		await master?.stop();
		if (dir) rmSync(dir, {recursive: true, force: true});
	});

	it('status --json reads the master through the sentinel, with the counts BullMQ reports, and no password', async () => {
		const config = writeConfig('sentinel.json', {redis: {sentinels: [`127.0.0.1:${sentinelPort}`], name: 'mymaster'}, prefix});
		const result = await runCli(['status', '--json', '--config', config], {env: {REDIS_PASSWORD: password}});
		assert.equal(result.code, 0, result.stderr);
		assert.ok(!result.stdout.includes(password) && !result.stderr.includes(password), 'the password never appears');
		const snapshot = parseJson<{redis: {mode: string}; queues: Array<{name: string; counts: Record<string, number>; paused: boolean}>}>(result);
		assert.equal(snapshot.redis.mode, 'sentinel');
		const expected = await bullmqCounts(master.url, prefix, SEED_QUEUES);
		for (const queue of SEED_QUEUES) {
			const got = snapshot.queues.find(entry => entry.name === queue)!;
			assert.deepEqual(got.counts, expected[queue]!.counts, queue);
			assert.equal(got.paused, expected[queue]!.paused, queue);
		}
	});

	it('a wrong password through the sentinel is exit 4, without the password', async () => {
		const config = writeConfig('sentinel-bad.json', {redis: {sentinels: [`127.0.0.1:${sentinelPort}`], name: 'mymaster'}, prefix});
		const result = await runCli(['status', '--json', '--config', config], {env: {REDIS_PASSWORD: 'not-the-password'}});
		assert.equal(result.code, 4, result.stdout + result.stderr);
		assert.ok(!result.stdout.includes('not-the-password') && !result.stderr.includes('not-the-password'));
	});
});
