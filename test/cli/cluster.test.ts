/**
 * The read commands against a Redis Cluster (private, 3 masters), configured
 * through the config file as the README's "Configuration" says, with queues another BullMQ
 * application filled through an ioredis Cluster connection and a hash-tagged
 * prefix. The numbers must be BullMQ's own.
 */
import {after, before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {randomUUID} from 'node:crypto';
import {Queue, Worker} from 'bullmq';
import type {Cluster} from 'ioredis';
import {describeResult, parseJson, runCli, writeConfig, type CliResult} from '../helpers/cli.js';
import {bullmqCounts, EVIL_REASON, fillLikeAnotherApp, SEED_QUEUES, type FillResult} from '../helpers/fill.js';
import {deletePrefix, openClient, waitFor, waitForClusterReady} from '../helpers/keyspace.js';
import {startRedisCluster, type RedisCluster} from '../helpers/redis-server.js';

function assertExit(result: CliResult, code: number, what: string): void {
	assert.equal(result.code, code, `${what}: ${describeResult(result)}`);
}

describe('read commands on a Redis Cluster', () => {
	let cluster: RedisCluster;
	let fill: FillResult;
	let configFile: string;
	// Hash-tagged, so every key of every queue lands in one slot; unique per run.
	const prefix = `{saccos-${randomUUID().slice(0, 8)}}`;
	const cli = async (args: string[]) => runCli([...args, '--config', configFile]);

	before(async () => {
		cluster = await startRedisCluster();
		configFile = writeConfig(`cluster-${randomUUID()}.json`, {redis: {cluster: cluster.urls}, prefix});
		fill = await fillLikeAnotherApp({cluster: cluster.urls}, prefix);
	});

	after(async () => {
		if (cluster) {
			await deletePrefix({cluster: cluster.urls}, prefix);
			await cluster.stop();
		}
	});

	it('status --json: every configured queue with BullMQ\'s counts and paused flag', async () => {
		const result = await cli(['status', '--json']);
		assertExit(result, 0, 'status --json');
		const status = parseJson(result);
		assert.equal(status.redis.mode, 'cluster');
		assert.deepEqual(status.queues.map((queue: {name: string}) => queue.name), [...SEED_QUEUES]);
		const bullmq = await bullmqCounts({cluster: cluster.urls}, prefix, SEED_QUEUES);
		for (const queue of status.queues) {
			assert.deepEqual(queue.counts, bullmq[queue.name]!.counts, `${queue.name} counts`);
			assert.equal(queue.paused, bullmq[queue.name]!.paused, `${queue.name} paused`);
		}
		assert.equal(status.queues.find((queue: {name: string}) => queue.name === fill.pausedQueue).paused, true);
		assert.equal(status.queues.find((queue: {name: string}) => queue.name === 'default').counts.failed, 3);
		// The oldest-wait script reads job hashes it does not declare: on a Cluster they share the queue's slot (hash-tag prefix).
		assert.deepEqual(status.warnings, []);
		assert.ok(status.queues.find((queue: {name: string}) => queue.name === 'default').oldestWaitMs >= 0, 'default has waiting jobs: an age');
	});

	it('jobs, job and failed read the jobs BullMQ wrote', async () => {
		const page = parseJson(await cli(['jobs', 'default', '--state', 'failed', '--json']));
		assert.equal(page.total, fill.ids['default']!.failed.length);
		assert.deepEqual(page.jobs.map((job: {id: string}) => job.id).sort(), [...fill.ids['default']!.failed].sort());
		const corrupt = page.jobs.find((job: {id: string}) => job.id === fill.corrupt.id);
		assert.equal(corrupt.data, null);
		assert.equal(typeof corrupt.dataError, 'string');

		const waiting = parseJson(await cli(['jobs', 'notifications', '--state', 'waiting', '--json']));
		assert.deepEqual(waiting.jobs.map((job: {id: string}) => job.id).sort(), fill.flow.children.map(child => child.id).sort());

		const job = parseJson(await cli(['job', 'default', fill.evilReason.id, '--json']));
		assert.equal(job.failedReason, EVIL_REASON);
		assert.deepEqual(job.logs.lines, fill.evilReason.logs);
		assert.ok(job.stacktrace.length > 0);

		const failed = parseJson(await cli(['failed', '--json']));
		const known = new Set<string>(SEED_QUEUES);
		assert.deepEqual(failed.jobs.map((entry: {queue: string; id: string}) => ({queue: entry.queue, id: entry.id})), fill.failedNewestFirst.filter(ref => known.has(ref.queue)));
	});

	it('monitor: exit 1 at the threshold, 0 under', async () => {
		const over = await cli(['monitor', 'default:7', '--json']);
		assertExit(over, 1, 'monitor default:7');
		const report = parseJson(over);
		assert.deepEqual({ok: report.ok, queues: report.queues}, {ok: false, queues: [{name: 'default', size: 7, threshold: 7, ok: false}]});
		assert.deepEqual(report.checks.map((check: {queue: string; check: string; ok: boolean}) => [check.queue, check.check, check.ok]), [['default', 'size', false]]);
		assertExit(await cli(['monitor', 'default:8,high:3']), 0, 'monitor under');
	});

	it('counts the workers connected to a queue as BullMQ does', async () => {
		const connection = openClient({cluster: cluster.urls}) as Cluster;
		await waitForClusterReady(connection);
		const worker = new Worker('notifications', async () => undefined, {connection, prefix, autorun: false});
		const queue = new Queue('notifications', {connection, prefix, skipMetasUpdate: true});
		try {
			await worker.waitUntilReady();
			// A Cluster client names its connection to every node it talks to. Which nodes the
			// worker's blocking client has touched by now is random (ioredis shuffles the node it
			// asks for the slots), so make it talk to every master: what a busy worker ends up doing.
			const blocking = await (worker as unknown as {backend?: {blockingConnection?: {client: Promise<{nodes?: (role: string) => Array<{ping(): Promise<string>}>}>}}}).backend?.blockingConnection?.client;
			await Promise.all((blocking?.nodes?.('master') ?? []).map(async node => node.ping()));
			const expected = await waitFor(async () => queue.getWorkersCount(), 'BullMQ to see the worker');
			const status = parseJson(await cli(['status', '--json']));
			const notifications = status.queues.find((entry: {name: string}) => entry.name === 'notifications');
			assert.equal(notifications.workers, expected, `status says ${notifications.workers} worker(s), BullMQ's getWorkersCount says ${expected}`);
			assert.equal(status.workers.filter((entry: {queue: string}) => entry.queue === 'notifications').length, expected);
		} finally {
			await worker.close();
			await queue.close();
			await connection.quit();
		}
	});

	it('queues discover finds the queue only Redis knows, and status includes it afterwards', async () => {
		const discovered = parseJson(await cli(['queues', 'discover', '--json']));
		assert.deepEqual([...discovered.found].sort(), [...fill.queues].sort());
		assert.deepEqual(discovered.added, [fill.extraQueue]);
		const status = parseJson(await cli(['status', '--json']));
		const extra = status.queues.find((queue: {name: string}) => queue.name === fill.extraQueue);
		assert.ok(extra, 'status lists the discovered queue');
		const bullmq = await bullmqCounts({cluster: cluster.urls}, prefix, [fill.extraQueue]);
		assert.deepEqual(extra.counts, bullmq[fill.extraQueue]!.counts);
	});

	it('a cluster prefix without a hash tag is exit 5 (Redis misconfigured)', async () => {
		const file = writeConfig(`cluster-untagged-${randomUUID()}.json`, {redis: {cluster: cluster.urls}, prefix: 'bull'});
		const human = await runCli(['status', '--config', file]);
		assertExit(human, 5, 'untagged prefix');
		assert.match(human.stderr, /hash tag/);
		const json = await runCli(['status', '--config', file, '--json']);
		assertExit(json, 5, 'untagged prefix --json');
		assert.equal(parseJson(json).error.code, 'redis-misconfigured');
	});
});
