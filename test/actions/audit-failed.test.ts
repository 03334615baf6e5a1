/**
 * One guarded-write path for the CLI and the console: a write that was let
 * through and then failed is in the audit stream as failed, with Redis's
 * words — it used to leave no trace, as if nobody had tried.
 */
import assert from 'node:assert/strict';
import {after, before, describe, it} from 'node:test';
import {Redis} from 'ioredis';
import {describeResult, parseJson, runCli} from '../helpers/cli.js';
import {startRedisServer, type RedisServer} from '../helpers/redis-server.js';

type Audit = {records: Array<{action: string; queue: string | null; result: string; message: string | null}>};

describe('a write that fails after it was let through is audited as failed', () => {
	let server: RedisServer;
	let admin: Redis;

	before(async () => {
		server = await startRedisServer();
		admin = new Redis(server.url);
		// May read and append to streams, may not run scripts: BullMQ's writes fail with NOPERM.
		await admin.call('ACL', 'SETUSER', 'noscripts', 'on', '>ns-pw', '~*', '&*', '+@all', '-@scripting');
	});

	after(async () => {
		admin?.disconnect();
		await server?.stop();
	});

	it('dispatch refused by the ACL: exit 4 with NOPERM, and the audit says failed with the same words', async () => {
		const url = `redis://noscripts:ns-pw@127.0.0.1:${server.port}`;
		const result = await runCli(['dispatch', 'emails', 'send', '--data', '{}', '--json', '--redis', url]);
		assert.equal(result.code, 4, describeResult(result));
		assert.equal(parseJson<{error: {code: string}}>(result).error.code, 'redis-noperm');
		const audit = await runCli(['audit', '--json', '--redis', server.url]);
		assert.equal(audit.code, 0, describeResult(audit));
		const records = parseJson<Audit>(audit).records;
		const failed = records.find(record => record.action === 'dispatch');
		assert.ok(failed, `no dispatch record in ${audit.stdout}`);
		assert.equal(failed.result, 'failed');
		assert.equal(failed.queue, 'emails');
		assert.match(failed.message ?? '', /NOPERM/);
		assert.doesNotMatch(audit.stdout, /ns-pw/);
	});
});
