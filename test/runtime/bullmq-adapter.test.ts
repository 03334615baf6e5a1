/**
 * The worker's one adapter to BullMQ internals (source/runtime/bullmq-adapter.ts):
 * pinned to the installed BullMQ, so that an upgrade fails here, by name,
 * before a worker meets it; the start-up check that stops a worker on a
 * BullMQ without the methods; and the hand-over itself on a real Redis.
 */
import {after, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {randomUUID} from 'node:crypto';
import {readFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {Queue, Worker} from 'bullmq';
import {Redis} from 'ioredis';
import {assertBullmqInternals, handOver, installedBullmqVersion, missingInternals, PINNED_BULLMQ_VERSION} from '../../source/runtime/bullmq-adapter.js';
import {deletePrefix} from '../helpers/keyspace.js';
import {testRedisUrl} from '../helpers/redis-server.js';

/** Read here from node_modules/bullmq/package.json, not through the adapter. */
const installed = (JSON.parse(readFileSync(createRequire(import.meta.url).resolve('bullmq/package.json'), 'utf8')) as {version: string}).version;

describe('bullmq adapter', () => {
	const url = testRedisUrl();
	const prefix = `test-adapter-${randomUUID().slice(0, 8)}`;
	const client = new Redis(url, {maxRetriesPerRequest: null});
	client.on('error', () => {});
	after(async () => {
		await deletePrefix(url, prefix);
		client.disconnect();
	});

	it('is pinned to the installed BullMQ version', () => {
		assert.equal(
			installed,
			PINNED_BULLMQ_VERSION,
			`bullmq ${installed}: the adapter was written for ${PINNED_BULLMQ_VERSION}; re-check Worker.nextJobFromJobData and updateDelays `
				+ '(and the reply of Job.moveToCompleted with fetchNext) in node_modules/bullmq/dist/esm/classes/worker.js, then update PINNED_BULLMQ_VERSION in source/runtime/bullmq-adapter.ts',
		);
		assert.equal(installedBullmqVersion(), installed);
	});

	it('finds the internals it needs on the installed Worker', () => {
		assert.deepEqual(missingInternals(), []);
		assert.doesNotThrow(() => assertBullmqInternals());
	});

	it('stops a worker on a BullMQ without them, naming both versions and the missing methods', () => {
		assert.deepEqual(missingInternals({updateDelays() {}}), ['nextJobFromJobData']);
		assert.throws(() => assertBullmqInternals(class Elsewhere {}.prototype, '9.1.0'), (error: Error) => {
			assert.match(error.message, /^bullmq 9\.1\.0 is installed, but the worker was written for bullmq 6\.7\.0/);
			assert.match(error.message, /no updateDelays\(\) and no nextJobFromJobData\(\)/);
			assert.match(error.message, /source\/runtime\/bullmq-adapter\.ts/);
			return true;
		});
	});

	it('hands over the job the completion script fetched, locked with the same token; nothing when the queue is empty', async () => {
		const name = 'handover';
		const queue = new Queue(name, {connection: client, prefix});
		const worker = new Worker(name, null, {connection: client, prefix, autorun: false});
		try {
			const [first, second] = await queue.addBulk([{name: 'a', data: {n: 1}}, {name: 'b', data: {n: 2}}]);
			const token = 'test-token:1';
			const job = await worker.getNextJob(token, {block: false});
			assert.equal(job?.id, first!.id);
			const reply = await job!.moveToCompleted('done', token, true);
			assert.ok(Array.isArray(reply), `moveToCompleted(…, fetchNext) replied ${JSON.stringify(reply)}`);
			const next = await handOver(worker, reply as unknown[], token);
			assert.equal(next?.id, second!.id);
			assert.deepEqual(next?.data, {n: 2});
			assert.equal(next?.token, token);
			assert.equal(await queue.getJobState(second!.id!), 'active');
			assert.equal(await client.get(`${prefix}:${name}:${second!.id}:lock`), token);
			const last = await next!.moveToCompleted('done', token, true);
			assert.equal(Array.isArray(last) && last[0] ? 'a job' : 'none', 'none');
			assert.equal(await handOver(worker, Array.isArray(last) ? (last as unknown[]) : [], token), undefined);
		} finally {
			await worker.close(true);
			await queue.close();
		}
	});
});
