/**
 * Fault f: two operators at once (issue 9, part 5): two `retry --all --yes`
 * started together over the same 5,000 failed jobs (made by real BullMQ
 * Workers, as another application leaves them).
 *
 * So that they really overlap (a process starts in about 0.3 s, a batch of
 * 1000 takes milliseconds), the private server is paused for writes (CLIENT
 * PAUSE WRITE) until both are blocked on their first write, then unpaused:
 * from there their batches interleave.
 *
 * Promise: each job is retried exactly once — 5,000 ids in waiting, each
 * once, none left failed — and the two commands' counts, as they print them
 * and as the audit stream records them, add up to exactly 5,000.
 */
import {after, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {describeResult, parseJson, type CliResult} from '../helpers/cli.js';
import {makeFailedJobs, placement, scope} from '../helpers/failed-jobs.js';
import {waitFor} from '../helpers/keyspace.js';
import {startRedisServer, type RedisServer} from '../helpers/redis-server.js';

const QUEUE = 'emails';
const JOBS = 5000;

describe('fault: concurrent operators', () => {
	let server: RedisServer | undefined;
	after(async () => server?.stop());

	it(`two retry --all --yes at once over ${JOBS} failed jobs: each retried exactly once`, async t => {
		server = await startRedisServer();
		const {url} = server;
		const s = scope(t, url);
		const made = await makeFailedJobs({url, prefix: s.prefix, queue: QUEUE, count: JOBS});
		await s.client.call('CLIENT', 'PAUSE', '30000', 'WRITE');
		let results: CliResult[];
		try {
			const running = [0, 1].map(async () => s.cli(['retry', '--all', '--queue', QUEUE, '--yes', '--json'], {timeoutMs: 60_000}));
			await waitFor(async () => {
				const list = String(await s.client.call('CLIENT', 'LIST'));
				return list.split('\n').filter(entry => /flags=\S*b/.test(entry)).length >= 2;
			}, 'both commands to wait on their first write', 20_000);
			await s.client.call('CLIENT', 'UNPAUSE');
			results = await Promise.all(running);
		} finally {
			await s.client.call('CLIENT', 'UNPAUSE');
		}
		for (const result of results) assert.equal(result.code, 0, describeResult(result));
		const printed = results.map(result => Number(parseJson<{count: number}>(result).count));

		const where = await placement(s.client, s.prefix, QUEUE);
		const waiting = new Set(where.waiting);
		const records = (await s.audit()).filter(record => record['action'] === 'retry' && record['result'] === 'ok');
		const audited = records.map(record => Number(record['count']));
		console.log(`fault f (concurrent retry): ${JOBS} failed, 2 × retry --all: ${where.waiting.length} waiting (${waiting.size} distinct), ${where.failed.length} failed; counts printed ${printed.join('+')}, audited ${audited.join('+')}`);
		assert.equal(where.failed.length, 0, 'failed jobs left');
		assert.equal(where.waiting.length, JOBS, 'waiting jobs');
		assert.equal(waiting.size, JOBS, 'a job is in waiting twice');
		for (const job of made.jobs) assert.ok(waiting.has(job.id), `job ${job.id} is not waiting`);
		assert.equal(printed.reduce((sum, count) => sum + count, 0), JOBS, `the two commands printed ${printed.join(' + ')}`);
		assert.equal(audited.reduce((sum, count) => sum + count, 0), JOBS, `the audit stream records ${audited.join(' + ')}`);
	});
});
