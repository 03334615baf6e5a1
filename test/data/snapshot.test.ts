/**
 * takeSnapshot against queues another BullMQ application filled: the counts,
 * the paused flag and the worker count agree with BullMQ's own getters, and
 * the number of Redis commands a snapshot costs does not depend on how many
 * jobs there are (INFO commandstats on a private server).
 */
import {after, before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {randomUUID} from 'node:crypto';
import {Queue, Worker} from 'bullmq';
import {Redis} from 'ioredis';
import {defaultConfig, type Config} from '../../source/config.js';
import {connect, type Connection} from '../../source/data/connection.js';
import {takeSnapshot} from '../../source/data/snapshot.js';
import {bullmqCounts, expectedCounts, fillLikeAnotherApp, STATES, type FillResult} from '../helpers/fill.js';
import {commandCalls, deletePrefix, waitFor} from '../helpers/keyspace.js';
import {startRedisServer, testRedisUrl, type RedisServer} from '../helpers/redis-server.js';

const configFor = (url: string, prefix: string): Config => ({...defaultConfig(), prefix, redis: {kind: 'url', url}});

describe('takeSnapshot on queues filled by another BullMQ application', () => {
	const url = testRedisUrl();
	const prefix = `test-${randomUUID()}`;
	let fill: FillResult;
	let connection: Connection;

	before(async () => {
		fill = await fillLikeAnotherApp(url, prefix);
		connection = await connect(configFor(url, prefix));
	});

	after(async () => {
		await connection?.close();
		await deletePrefix(url, prefix);
	});

	it('reports, for every queue, the counts and paused flag BullMQ reports', async () => {
		const snapshot = await takeSnapshot(connection, configFor(url, prefix), fill.queues);
		const bullmq = await bullmqCounts(url, prefix, fill.queues);
		assert.deepEqual(snapshot.queues.map(queue => queue.name), fill.queues);
		for (const queue of snapshot.queues) {
			assert.deepEqual(queue.counts, bullmq[queue.name]!.counts, `counts of ${queue.name}`);
			assert.equal(queue.paused, bullmq[queue.name]!.paused, `paused of ${queue.name}`);
			// And the fill really put jobs where it says (so the comparison is not 0 = 0).
			assert.deepEqual(queue.counts, expectedCounts(fill, queue.name), `fill of ${queue.name}`);
			const {waiting, prioritized, delayed, active} = queue.counts;
			assert.equal(queue.size, waiting + prioritized + delayed + active, `size of ${queue.name}`);
		}
		for (const state of STATES) {
			assert.ok(snapshot.queues.some(queue => queue.counts[state] > 0), `no queue has a ${state} job: the fill is incomplete`);
		}
		assert.equal(snapshot.queues.find(queue => queue.name === fill.pausedQueue)?.paused, true);
		assert.equal(snapshot.queues.filter(queue => queue.paused).length, 1);
		// The extra queue has no threshold in the default config; a seed queue does.
		assert.equal(snapshot.queues.find(queue => queue.name === fill.extraQueue)?.threshold, null);
		assert.equal(snapshot.queues.find(queue => queue.name === 'high')?.threshold, 50);
	});

	it('names the role of the server it reads (a replica refuses writes): master for the test server', async () => {
		const snapshot = await takeSnapshot(connection, configFor(url, prefix), fill.queues);
		assert.equal(snapshot.redis.role, 'master');
	});

	it('counts the BullMQ workers connected to each queue as BullMQ does', async () => {
		const workerPrefix = `test-${randomUUID()}`;
		const workerConnection = new Redis(url, {maxRetriesPerRequest: null});
		const workers = [
			new Worker('emails', async () => undefined, {connection: workerConnection, prefix: workerPrefix}),
			new Worker('emails', async () => undefined, {connection: workerConnection, prefix: workerPrefix, name: 'mailer-2'}),
			new Worker('high', async () => undefined, {connection: workerConnection, prefix: workerPrefix}),
		];
		const getters = ['high', 'default', 'emails'].map(name => new Queue(name, {connection: workerConnection, prefix: workerPrefix, skipMetasUpdate: true}));
		const own = await connect(configFor(url, workerPrefix));
		try {
			await Promise.all(workers.map(async worker => worker.waitUntilReady()));
			const [high, fallback, emails] = getters as [Queue, Queue, Queue];
			await waitFor(async () => (await emails.getWorkersCount()) === 2 && (await high.getWorkersCount()) === 1, 'BullMQ to see the workers');
			const snapshot = await takeSnapshot(own, configFor(url, workerPrefix), ['high', 'default', 'emails']);
			const byName = new Map(snapshot.queues.map(queue => [queue.name, queue]));
			assert.equal(byName.get('emails')?.workers, await emails.getWorkersCount());
			assert.equal(byName.get('high')?.workers, await high.getWorkersCount());
			assert.equal(byName.get('default')?.workers, await fallback.getWorkersCount());
			assert.deepEqual([byName.get('high')?.workers, byName.get('default')?.workers, byName.get('emails')?.workers], [1, 0, 2]);
			assert.equal(snapshot.workers.filter(worker => worker.queue === 'emails').length, 2);
			assert.ok(snapshot.workers.some(worker => worker.workerName === 'mailer-2'), 'the named worker is listed with its name');
		} finally {
			await Promise.allSettled(workers.map(async worker => worker.close()));
			await Promise.allSettled(getters.map(async queue => queue.close()));
			await own.close();
			await workerConnection.quit();
			await deletePrefix(url, workerPrefix);
		}
	});
});

describe('the cost of a snapshot (commands counted on a private server)', () => {
	let server: RedisServer;
	let admin: Redis;
	const prefix = `test-${randomUUID()}`;
	let connection: Connection;

	before(async () => {
		server = await startRedisServer();
		admin = new Redis(server.url);
		connection = await connect(configFor(server.url, prefix));
	});

	after(async () => {
		await connection?.close();
		admin?.disconnect();
		await server?.stop();
	});

	/** Commands the server executed for one snapshot (the measuring INFO adds the same 1 every time). */
	async function cost(queues: string[]): Promise<{calls: number; snapshot: Awaited<ReturnType<typeof takeSnapshot>>}> {
		const before = await commandCalls(admin);
		const snapshot = await takeSnapshot(connection, configFor(server.url, prefix), queues);
		const after = await commandCalls(admin);
		return {calls: after - before, snapshot};
	}

	it('costs the same number of commands for an empty queue and for one with 20,000 completed jobs', async () => {
		const empty = await cost(['default']);
		assert.equal(empty.snapshot.queues[0]!.counts.completed, 0);

		// 20,000 completed jobs as BullMQ stores them: a hash per job and the completed sorted set.
		const now = Date.now();
		for (let start = 0; start < 20_000; start += 2000) {
			const pipeline = admin.pipeline();
			for (let id = start + 1; id <= start + 2000; id++) {
				pipeline.hset(`${prefix}:default:${id}`, 'name', 'bulk', 'data', '{}', 'opts', '{}', 'timestamp', String(now), 'finishedOn', String(now + id), 'returnvalue', 'null');
				pipeline.zadd(`${prefix}:default:completed`, now + id, String(id));
			}
			await pipeline.exec();  
		}

		const full = await cost(['default']);
		assert.equal(full.snapshot.queues[0]!.counts.completed, 20_000, 'the snapshot sees the jobs');
		assert.equal(full.calls, empty.calls, `a snapshot cost ${empty.calls} commands on an empty queue and ${full.calls} with 20,000 jobs`);
	});

	it('adds a fixed, small number of commands per extra queue', async () => {
		const names = ['q1', 'q2', 'q3', 'q4', 'q5', 'q6'];
		const costs: number[] = [];
		for (let count = 1; count <= names.length; count++) {
			costs.push((await cost(names.slice(0, count))).calls);  
		}
		const deltas = costs.slice(1).map((calls, index) => calls - costs[index]!);
		assert.equal(new Set(deltas).size, 1, `commands per extra queue vary: ${deltas.join(', ')} (costs ${costs.join(', ')})`);
		// 9 pipelined (LLEN/ZCARD per state, HMGET meta, the oldest-wait script) plus the script's own LINDEX and ZRANGE (and an HMGET per job next in line).
		assert.ok(deltas[0]! > 0 && deltas[0]! <= 13, `each queue costs ${deltas[0]} commands`);
	});
});
