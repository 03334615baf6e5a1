/**
 * The console asks Redis, once, whether it may write: a read-only ACL user
 * (no scripting, or keys readable only) and a replica are told apart from a
 * user that may write, with Redis's own words — and asking writes nothing.
 */
import assert from 'node:assert/strict';
import {after, before, describe, it} from 'node:test';
import {Queue} from 'bullmq';
import {Redis} from 'ioredis';
import {loadConfig} from '../../source/config.js';
import {probeWriteAccess} from '../../source/data/access.js';
import {connect} from '../../source/data/connection.js';
import {createConsoleApi} from '../../source/store/console-api.js';
import {UserError} from '../../source/errors.js';
import {keyspaceDigest} from '../helpers/keyspace.js';
import {startRedisServer, type RedisServer} from '../helpers/redis-server.js';

describe('write access, as the console asks for it', () => {
	let server: RedisServer;
	let replica: RedisServer;
	let admin: Redis;

	before(async () => {
		server = await startRedisServer();
		admin = new Redis(server.url);
		const queue = new Queue('emails', {connection: admin});
		await queue.add('send', {to: 'a@example.org'});
		await queue.close();
		await admin.call('ACL', 'SETUSER', 'viewer', 'on', '>viewer-pw', '~*', '&*', '+@read', '+@connection', '+info', '+acl|whoami');
		await admin.call('ACL', 'SETUSER', 'keysro', 'on', '>keysro-pw', '%R~*', '&*', '+@all');
		replica = await startRedisServer({args: ['--replicaof', '127.0.0.1', String(server.port)]});
	});

	after(async () => {
		admin?.disconnect();
		await replica?.stop();
		await server?.stop();
	});

	const probe = async (url: string) => {
		const config = await loadConfig({redis: url}, {});
		const connection = await connect(config, 'console');
		try {
			return {access: await probeWriteAccess(connection, 'emails'), config, connection};
		} finally {
			await connection.close();
		}
	};

	it('the default user may write, and asking changed no key', async () => {
		const before = await keyspaceDigest(admin);
		const {access} = await probe(server.url);
		assert.deepEqual(access, {writable: true});
		const after = await keyspaceDigest(admin);
		assert.equal(after.hash, before.hash);
	});

	it('a user without scripting: READ-ONLY with the user and Redis\'s NOPERM words', async () => {
		const {access} = await probe(`redis://viewer:viewer-pw@127.0.0.1:${server.port}`);
		assert.equal(access.writable, false);
		assert.ok(!access.writable);
		assert.match(access.reason, /^ACL user viewer: NOPERM/);
		assert.match(access.reason, /evalsha/);
		assert.doesNotMatch(access.reason, /viewer-pw/);
	});

	it('a user whose keys are readable only (%R~*): READ-ONLY', async () => {
		const {access} = await probe(`redis://keysro:keysro-pw@127.0.0.1:${server.port}`);
		assert.ok(!access.writable);
		assert.match(access.reason, /ACL user keysro: NOPERM/);
	});

	it('a replica: READ-ONLY, a read-only replica', async () => {
		const {access} = await probe(replica.url);
		assert.deepEqual(access, {writable: false, reason: 'a read-only replica'});
	});

	it('the console\'s writes are refused in this layer with the reason (no NOPERM half-way)', async () => {
		const config = await loadConfig({redis: `redis://viewer:viewer-pw@127.0.0.1:${server.port}`}, {});
		const connection = await connect(config, 'console');
		try {
			const access = await probeWriteAccess(connection, 'emails');
			const api = createConsoleApi({connection, config, access, openController: async () => {
				throw new Error('no process backend in this test');
			}});
			assert.equal(api.readOnly, true);
			assert.match(api.readOnlyReason ?? '', /ACL user viewer/);
			await assert.rejects(api.setPaused('emails', true), (error: unknown) => error instanceof UserError && error.exitCode === 6 && /ACL user viewer/.test(error.message));
			assert.equal(await admin.hget('bull:emails:meta', 'paused'), null);
		} finally {
			await connection.close();
		}
	});
});
