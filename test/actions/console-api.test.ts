/**
 * The console's data calls against a real Redis and real BullMQ: D deletes
 * exactly the chosen jobs and reports the one a worker holds instead of
 * deleting it; R's progress arrives per bounded batch; read-only mode refuses
 * a write in this layer (not only in the keymap) and audits the refusal;
 * every write is audited with the console as its command.
 */
import {describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {Queue, Worker} from 'bullmq';
import {Redis} from 'ioredis';
import {loadConfig} from '../../source/config.js';
import {connect} from '../../source/data/connection.js';
import {createConsoleApi} from '../../source/store/console-api.js';
import {makeFailedJobs, placement, scope} from '../helpers/failed-jobs.js';
import {waitFor} from '../helpers/keyspace.js';
import {testRedisUrl} from '../helpers/redis-server.js';

async function consoleApi(url: string, prefix: string, readOnly = false) {
	const config = await loadConfig({redis: url, prefix, readOnly}, {});
	const connection = await connect(config, 'console');
	const api = createConsoleApi({connection, config, openController: async () => {
		throw new Error('no process backend in this test');
	}});
	return {api, close: async () => connection.close()};
}

describe('the console\'s data calls', {concurrency: true}, () => {
	const url = testRedisUrl();

	it('remove deletes exactly the chosen jobs; an active job a worker holds is reported, not deleted', async t => {
		const box = scope(t, url);
		const failed = await makeFailedJobs({url, prefix: box.prefix, queue: 'emails', count: 5});
		// One job held by a worker (active, locked) while the console asks to delete it.
		const queue = new Queue('held', {connection: box.client, prefix: box.prefix});
		const held = await queue.add('email.send', {});
		let release = () => {};
		const running = new Promise<void>(resolve => {
			release = resolve;
		});
		const connection = new Redis(url, {maxRetriesPerRequest: null});
		const worker = new Worker('held', async () => running, {connection, prefix: box.prefix});
		const {api, close} = await consoleApi(url, box.prefix);
		try {
			const chosen = [failed.jobs[1]!.id, failed.jobs[3]!.id];
			const result = await api.remove('emails', chosen);
			assert.equal(result.count, 2);
			assert.deepEqual(result['notRemoved'], []);
			const left = await placement(box.client, box.prefix, 'emails');
			assert.deepEqual(left.failed.sort(), failed.jobs.map(job => job.id).filter(id => !chosen.includes(id)).sort());
			for (const id of chosen) assert.equal(await box.client.exists(`${box.prefix}:emails:${id}`), 0);

			await waitFor(async () => (await queue.getJobState(held.id!)) === 'active', 'the held job to be active');
			const refused = await api.remove('held', [held.id!]);
			assert.equal(refused.count, 0);
			assert.deepEqual(refused['notRemoved'], [held.id]);
			assert.equal(await queue.getJobState(held.id!), 'active');
		} finally {
			release();
			await worker.close();
			connection.disconnect();
			await queue.close();
			await close();
		}
		const audit = await box.audit();
		assert.ok(audit.some(record => record['action'] === 'delete' && record['queue'] === 'emails' && record['count'] === 2 && String(record['command']).startsWith('saccos-queue console')), JSON.stringify(audit.slice(0, 3)));
	});

	it('retryAll reports its progress per bounded batch and moves every failed job', async t => {
		const box = scope(t, url);
		await makeFailedJobs({url, prefix: box.prefix, queue: 'emails', count: 2500});
		const {api, close} = await consoleApi(url, box.prefix);
		const progress: Array<{done: number; total: number}> = [];
		try {
			const result = await api.retryAll('emails', step => progress.push(step));
			assert.equal(result.count, 2500);
		} finally {
			await close();
		}
		assert.deepEqual(progress.map(step => step.done), [1000, 2000, 2500]);
		assert.ok(progress.every(step => step.total === 2500));
		assert.equal((await placement(box.client, box.prefix, 'emails')).failed.length, 0);
	});

	it('read-only: a write is refused here too (exit 6), changes nothing, and the refusal is audited', async t => {
		const box = scope(t, url);
		const failed = await makeFailedJobs({url, prefix: box.prefix, queue: 'emails', count: 3});
		const {api, close} = await consoleApi(url, box.prefix, true);
		try {
			await assert.rejects(api.flushFailed('emails'), (error: Error & {exitCode?: number}) => error.exitCode === 6 && /read-only/.test(error.message));
		} finally {
			await close();
		}
		assert.equal((await placement(box.client, box.prefix, 'emails')).failed.length, failed.jobs.length);
		const audit = await box.audit();
		assert.ok(audit.some(record => record['action'] === 'flush' && record['result'] === 'refused'), JSON.stringify(audit.slice(0, 3)));
	});
});
