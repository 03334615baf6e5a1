/**
 * The lock renewer (source/runtime/lock-renewer.ts) on a real Redis, through
 * BullMQ's public Worker.extendJobLocks: the locks of running jobs really last
 * longer, in one call per queue, and a lock that is another token's is told.
 * (No fake BullMQ: the renewer's timing is exercised by the worker tests.)
 */
import {after, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {randomUUID} from 'node:crypto';
import {Queue, Worker} from 'bullmq';
import {Redis} from 'ioredis';
import {LockRenewer, type LockedJob, type LockTarget} from '../../source/runtime/lock-renewer.js';
import {deletePrefix} from '../helpers/keyspace.js';
import {captureLogger} from '../helpers/log-capture.js';
import {testRedisUrl} from '../helpers/redis-server.js';

const running = (queue: string, worker: LockTarget, id: string | undefined, token: string): LockedJob => ({job: {id}, token, plan: {queue, worker}});

describe('lock renewer', () => {
	describe('on Redis, through BullMQ\'s Worker.extendJobLocks', () => {
		const url = testRedisUrl();
		const prefix = `test-locks-${randomUUID().slice(0, 8)}`;
		const client = new Redis(url, {maxRetriesPerRequest: null});
		client.on('error', () => {});
		after(async () => {
			await deletePrefix(url, prefix);
			client.disconnect();
		});

		it('extends the locks of running jobs, and reports a job whose lock is another token\'s', async () => {
			const name = 'locks';
			const queue = new Queue(name, {connection: client, prefix});
			const worker = new Worker(name, null, {connection: client, prefix, autorun: false, lockDuration: 1000});
			const log = captureLogger();
			try {
				await queue.addBulk([{name: 'a', data: {}}, {name: 'b', data: {}}]);
				const first = await worker.getNextJob('mine:1', {block: false});
				const second = await worker.getNextJob('mine:2', {block: false});
				const lockOf = (id: string | undefined) => `${prefix}:${name}:${id}:lock`;
				assert.ok((await client.pttl(lockOf(first!.id))) <= 1000);
				const jobs = [running(name, worker, first!.id, 'mine:1'), running(name, worker, second!.id, 'not-the-token')];
				await new LockRenewer(() => jobs, {durationMs: 60_000}, log).renew();
				assert.ok((await client.pttl(lockOf(first!.id))) > 50_000, 'the lock was not extended');
				assert.ok((await client.pttl(lockOf(second!.id))) <= 1000, 'a lock held with another token was extended');
				assert.deepEqual(log.lines.filter(line => line.level === 'debug').map(line => line.fields['jobIds']), [[second!.id]]);
				assert.deepEqual(log.find('lock renewal failed'), []);
			} finally {
				await worker.close(true);
				await queue.close();
			}
		});
	});
});
