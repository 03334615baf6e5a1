/**
 * Redis going away under a running worker, on a private redis-server: its
 * connections killed (CLIENT KILL), and the server stopped and started again
 * (an empty dataset, as after a crash without persistence). The worker
 * reconnects by itself and processes the jobs added afterwards; none is lost.
 */
import {describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {Redis} from 'ioredis';
import {waitFor} from '../helpers/keyspace.js';
import {testRedisUrl} from '../helpers/redis-server.js';
import {describeResult, runCli} from '../helpers/cli.js';
import {FAST, line, usePrivateServers, useSandboxes, type LongProcess, type Sandbox} from '../helpers/worker-process.js';


describe('worker: Redis restarts', {concurrency: true}, () => {
	const open = useSandboxes(testRedisUrl());
	const privateServer = usePrivateServers();

	const setup = async (label: string) => {
		const server = await privateServer();
		const box = open(label, server.url);
		const config = box.writeConfig({queues: {high: {timeout: 5}, default: {timeout: 5}}});
		const worker = box.worker(config, ['--queue', 'high,default', '--concurrency', '2', ...FAST]);
		await worker.waitForLine(line.started, 'worker started');
		return {server, box, worker};
	};

	const addBatch = async (box: Sandbox, tag: string, count: number) => {
		const ids: string[] = [];
		for (let index = 0; index < count; index++) ids.push(await box.add(index % 2 === 0 ? 'high' : 'default', {tag}));
		return ids;
	};

	const allDone = async (box: Sandbox, ids: string[], what: string) => {
		await waitFor(() => {
			const done = new Set(box.records().filter(record => record.event === 'done').map(record => `${record.queue}/${record.id}`));
			return ids.every(id => done.has(id));
		}, what, 20_000);
	};

	/** `workers stop <id>` through the CLI: proves the control channel (pub/sub) came back too. */
	const stopRemotely = async (box: Sandbox, worker: LongProcess) => {
		const started = await worker.waitForLine(line.started, 'worker started');
		const result = await runCli(['workers', 'stop', String(started['workerId']), '--redis', box.redisUrl, '--prefix', box.prefix, '--json']);
		assert.equal(result.code, 0, describeResult(result));
		const exit = await worker.waitForExit(10_000, 'the worker to stop on `workers stop`');
		assert.equal(exit.code, 0, worker.describe());
	};

	it('CLIENT KILL TYPE normal: the worker reconnects and processes the jobs added afterwards', async () => {
		const {server, box, worker} = await setup('clientkill');
		const before = await addBatch(box, 'before', 4);
		await allDone(box, before.map((id, index) => `${index % 2 === 0 ? 'high' : 'default'}/${id}`), 'the jobs added before');
		const admin = new Redis(server.url);
		let killed: number;
		try {
			killed = Number(await admin.client('KILL', 'TYPE', 'normal'));
		} finally {
			admin.disconnect();
		}
		assert.ok(killed >= 2, `CLIENT KILL killed ${killed} connection(s)`);
		// Our own bookkeeping connection was killed too: the sandbox's client reconnects by itself.
		const afterIds = await addBatch(box, 'after', 6);
		await allDone(box, afterIds.map((id, index) => `${index % 2 === 0 ? 'high' : 'default'}/${id}`), 'the jobs added after CLIENT KILL');
		const counts = await box.queue('high').getJobCounts('completed', 'failed', 'waiting', 'active');
		assert.equal(counts['failed'], 0);
		assert.equal(worker.child.exitCode, null, 'the worker exited');
		// Each job ran once.
		const starts = box.records().filter(record => record.event === 'start').map(record => `${record.queue}/${record.id}`);
		assert.equal(new Set(starts).size, starts.length, `a job ran twice: ${starts.join(' ')}`);
		await stopRemotely(box, worker);
	});

	it('the server stopped and started again (empty): the worker reconnects and processes new jobs', async () => {
		const {server, box, worker} = await setup('restart');
		const first = await addBatch(box, 'first', 2);
		await allDone(box, first.map((id, index) => `${index % 2 === 0 ? 'high' : 'default'}/${id}`), 'the jobs added before the restart');
		await server.restart();
		// A fresh, empty dataset: BullMQ's job ids start again at 1, so records are told apart by tag.
		const second = await addBatch(box, 'second', 6);
		await waitFor(() => {
			const done = box.records().filter(record => record.event === 'done').length;
			return done >= first.length + second.length;
		}, 'the jobs added after the restart to be done', 30_000);
		await waitFor(async () => {
			const high = await box.queue('high').getJobCounts('completed');
			const low = await box.queue('default').getJobCounts('completed');
			return high['completed']! + low['completed']! === second.length;
		}, 'BullMQ to count every new job completed');
		assert.equal(worker.child.exitCode, null, 'the worker exited');
		// After the restart the worker announces itself again (its heartbeat), so `workers` sees it.
		const client = box.client();
		await waitFor(async () => (await client.zcard(`${box.prefix}:saccos-queue:workers`)) === 1, 'the worker\'s heartbeat record to come back', 12_000);
		await stopRemotely(box, worker);
	});
});
