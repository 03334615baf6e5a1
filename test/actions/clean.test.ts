/**
 * `clean <queue> --state S --older-than D` (the seed's cleanup SQL) through
 * the built binary: bounded batches, usage errors before anything happens.
 */
import {describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {describeResult, parseJson} from '../helpers/cli.js';
import {makeCompletedJobs, makeFailedJobs, placement, scope} from '../helpers/failed-jobs.js';
import {testRedisUrl} from '../helpers/redis-server.js';

const url = testRedisUrl();
const QUEUE = 'loans';

/** The `cleaned` events BullMQ's clean script wrote to the queue's event stream: one per script call. */
async function cleanedEvents(s: {client: import('ioredis').Redis; prefix: string}): Promise<number[]> {
	const entries = await s.client.xrange(`${s.prefix}:${QUEUE}:events`, '-', '+');
	return entries.flatMap(([, fields]) => {
		const map = new Map<string, string>();
		for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!, fields[i + 1]!);
		return map.get('event') === 'cleaned' ? [Number(map.get('count'))] : [];
	});
}

describe('clean', () => {
	it('clean Q --state completed --older-than 0s --yes deletes every completed job, at most 1000 per Redis script', async t => {
		const s = scope(t, url);
		const made = await makeCompletedJobs({url, prefix: s.prefix, queue: QUEUE, count: 2500});
		await makeFailedJobs({url, prefix: s.prefix, queue: QUEUE, count: 5});
		const queue = s.queue(QUEUE);
		assert.equal(await queue.getCompletedCount(), 2500);

		const refused = await s.cli(['clean', QUEUE, '--state', 'completed', '--older-than', '0s']);
		assert.equal(refused.code, 6, describeResult(refused));
		assert.equal(await queue.getCompletedCount(), 2500);

		const dry = await s.cli(['clean', QUEUE, '--state', 'completed', '--older-than', '0s', '--dry-run', '--json']);
		assert.equal(dry.code, 0, describeResult(dry));
		const dryBody = parseJson(dry);
		assert.deepEqual({queue: dryBody.queue, action: dryBody.action, count: dryBody.count, dryRun: dryBody.dryRun}, {queue: QUEUE, action: 'clean', count: 2500, dryRun: true});
		assert.equal(await queue.getCompletedCount(), 2500);

		const result = await s.cli(['clean', QUEUE, '--state', 'completed', '--older-than', '0s', '--yes', '--json']);
		assert.equal(result.code, 0, describeResult(result));
		const body = parseJson(result);
		assert.deepEqual({queue: body.queue, action: body.action, count: body.count, dryRun: body.dryRun}, {queue: QUEUE, action: 'clean', count: 2500, dryRun: false});
		assert.equal(await queue.getCompletedCount(), 0);
		assert.equal(await queue.getJob(made.jobs[0]!.id), undefined, 'the job hash is gone too');
		assert.equal((await placement(s.client, s.prefix, QUEUE)).failed.length, 5, 'other states are untouched');

		const batches = (await cleanedEvents(s)).filter(count => count > 0);
		assert.equal(batches.reduce((sum, count) => sum + count, 0), 2500);
		assert.ok(batches.every(count => count <= 1000), `every script removed at most 1000 jobs: ${batches.join(', ')}`);
		assert.ok(batches.length >= 3, `2500 jobs took several batches: ${batches.join(', ')}`);
	});

	it('--older-than spares completed jobs younger than D', async t => {
		const s = scope(t, url);
		await makeCompletedJobs({url, prefix: s.prefix, queue: QUEUE, count: 20});
		const result = await s.cli(['clean', QUEUE, '--state', 'completed', '--older-than', '1h', '--yes', '--json']);
		assert.equal(result.code, 0, describeResult(result));
		assert.equal(parseJson(result).count, 0);
		assert.equal(await s.queue(QUEUE).getCompletedCount(), 20);
	});

	it('an unknown state or a missing --older-than is a usage error (exit 2) and deletes nothing', async t => {
		const s = scope(t, url);
		await makeCompletedJobs({url, prefix: s.prefix, queue: QUEUE, count: 10});
		const before = await placement(s.client, s.prefix, QUEUE);

		const unknown = await s.cli(['clean', QUEUE, '--state', 'finished', '--older-than', '0s', '--yes', '--json']);
		assert.equal(unknown.code, 2, describeResult(unknown));
		assert.equal(parseJson(unknown).error?.code, 'usage');
		assert.match(parseJson(unknown).error?.hint ?? '', /completed/, 'the hint lists the states that can be cleaned');

		const missing = await s.cli(['clean', QUEUE, '--state', 'completed', '--yes']);
		assert.equal(missing.code, 2, describeResult(missing));
		assert.match(missing.stderr, /--older-than/);

		const malformed = await s.cli(['clean', QUEUE, '--state', 'completed', '--older-than', 'a while', '--yes']);
		assert.equal(malformed.code, 2, describeResult(malformed));

		const noQueue = await s.cli(['clean', 'no-such-queue', '--state', 'completed', '--older-than', '0s', '--yes']);
		assert.equal(noQueue.code, 2, describeResult(noQueue));

		assert.deepEqual(await placement(s.client, s.prefix, QUEUE), before);
	});
});
