/**
 * The lock renewer (source/runtime/lock-renewer.ts): one extendJobLocks call
 * per queue for all of its running jobs, failures logged per job as before,
 * no second call while one is unanswered; and on a real Redis, through
 * BullMQ's public Worker.extendJobLocks, the lock really lasts longer.
 */
import {after, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {randomUUID} from 'node:crypto';
import {Queue, Worker} from 'bullmq';
import {Redis} from 'ioredis';
import {LockRenewer, type LockedJob, type LockTarget} from '../../source/runtime/lock-renewer.js';
import {deletePrefix, waitFor} from '../helpers/keyspace.js';
import {captureLogger} from '../helpers/log-capture.js';
import {testRedisUrl} from '../helpers/redis-server.js';
import {holdsFor} from '../helpers/worker-process.js';

type Call = {ids: string[]; tokens: string[]; duration: number};

/** A queue whose extendJobLocks records its calls and answers as told. */
function fakeQueue(answer: (call: Call) => Promise<string[]> = async () => []): LockTarget & {calls: Call[]} {
	const calls: Call[] = [];
	return {
		calls,
		async extendJobLocks(ids, tokens, duration) {
			const call = {ids, tokens, duration};
			calls.push(call);
			return answer(call);
		},
	};
}

const running = (queue: string, worker: LockTarget, id: string | undefined, token: string): LockedJob => ({job: {id}, token, plan: {queue, worker}});

describe('lock renewer', () => {
	it('renews each queue\'s running jobs in one call, with their tokens and the lock duration', async () => {
		const high = fakeQueue();
		const low = fakeQueue();
		const jobs = [running('high', high, '1', 'w:1'), running('low', low, '7', 'w:2'), running('high', high, '2', 'w:3'), running('high', high, undefined, 'w:4')];
		const renewer = new LockRenewer(() => jobs, {durationMs: 30_000}, captureLogger());
		await renewer.renew();
		assert.deepEqual(high.calls, [{ids: ['1', '2'], tokens: ['w:1', 'w:3'], duration: 30_000}]);
		assert.deepEqual(low.calls, [{ids: ['7'], tokens: ['w:2'], duration: 30_000}]);
	});

	it('calls nothing when no job runs', async () => {
		const queue = fakeQueue();
		await new LockRenewer(() => [], {durationMs: 1000}, captureLogger()).renew();
		assert.deepEqual(queue.calls, []);
	});

	it('a failed call is logged per job as "lock renewal failed" (queue, jobId, err); a lost lock only at debug', async () => {
		const down = fakeQueue(async () => {
			throw new Error('Connection is closed.');
		});
		const lost = fakeQueue(async () => ['9']);
		const log = captureLogger();
		const renewer = new LockRenewer(() => [running('high', down, '1', 'a'), running('high', down, '2', 'b'), running('low', lost, '9', 'c')], {durationMs: 1000}, log);
		await renewer.renew();
		assert.deepEqual(log.find('lock renewal failed').map(line => [line.level, line.fields]), [
			['warn', {queue: 'high', jobId: '1', err: 'Connection is closed.'}],
			['warn', {queue: 'high', jobId: '2', err: 'Connection is closed.'}],
		]);
		const debug = log.lines.filter(line => line.level === 'debug');
		assert.deepEqual(debug.map(line => line.fields), [{queue: 'low', jobIds: ['9']}]);
		assert.equal(log.lines.filter(line => line.level === 'warn').length, 2);
	});

	it('on its timer, waits for an unanswered renewal before the next one (a stalled Redis gets no pile of calls)', async () => {
		let answer: (() => void) | undefined;
		const queue = fakeQueue(async () => new Promise<string[]>(resolve => {
			answer = () => resolve([]);
		}));
		const renewer = new LockRenewer(() => [running('q', queue, '1', 't')], {durationMs: 1000, everyMs: 5}, captureLogger());
		renewer.start();
		try {
			await waitFor(() => queue.calls.length === 1, 'the first renewal');
			// About something not happening: the window is the assertion (20 periods).
			await holdsFor(() => queue.calls.length === 1, 100, 'no second renewal before the first one answered');
			answer!();
			await waitFor(() => queue.calls.length >= 2, 'the next renewal once the first answered');
		} finally {
			renewer.close();
		}
		answer?.();
	});

	it('renews every lockDuration/2 by default, but no more often than every 500 ms, and not after close', async () => {
		const queue = fakeQueue();
		// lockDuration/2 would be 300 ms.
		const renewer = new LockRenewer(() => [running('q', queue, '1', 't')], {durationMs: 600}, captureLogger());
		const started = Date.now();
		renewer.start();
		await waitFor(() => queue.calls.length >= 1, 'a renewal', 5000);
		assert.ok(Date.now() - started >= 490, `renewed after ${Date.now() - started} ms`);
		renewer.close();
		const calls = queue.calls.length;
		await holdsFor(() => queue.calls.length === calls, 700, 'no renewal after close');
	});

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
