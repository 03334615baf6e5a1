/**
 * `pause`/`resume` and `dispatch` through the built binary, checked with
 * `status --json` and BullMQ's own getters: what a Worker would see.
 */
import {describe, it} from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {writeFileSync} from 'node:fs';
import {describeResult, parseJson, scratchDir} from '../helpers/cli.js';
import {makeFailedJobs, placement, scope} from '../helpers/failed-jobs.js';
import {keysUnder} from '../helpers/keyspace.js';
import {testRedisUrl} from '../helpers/redis-server.js';

const url = testRedisUrl();

const head = (body: Record<string, unknown>) => ({queue: body['queue'], action: body['action'], count: body['count'], dryRun: body['dryRun']});

describe('pause and resume', () => {
	it('pause Q → status --json shows paused true (and BullMQ agrees); resume → false', async t => {
		const s = scope(t, url);
		await makeFailedJobs({url, prefix: s.prefix, queue: 'loans', count: 3});
		const paused = async () => {
			const status = await s.cli(['status', '--queue', 'loans', '--json']);
			assert.equal(status.code, 0, describeResult(status));
			const entry = (parseJson(status).queues as Array<{name: string; paused: boolean}>).find(queue => queue.name === 'loans');
			assert.ok(entry, 'status lists the queue');
			return entry.paused;
		};
		assert.equal(await paused(), false);

		const pause = await s.cli(['pause', 'loans', '--json']);
		assert.equal(pause.code, 0, describeResult(pause));
		assert.deepEqual(head(parseJson(pause)), {queue: 'loans', action: 'pause', count: 0, dryRun: false});
		assert.equal(await paused(), true);
		assert.equal(await s.queue('loans').isPaused(), true);

		const resume = await s.cli(['resume', 'loans', '--json']);
		assert.equal(resume.code, 0, describeResult(resume));
		assert.deepEqual(head(parseJson(resume)), {queue: 'loans', action: 'resume', count: 0, dryRun: false});
		assert.equal(await paused(), false);
		assert.equal(await s.queue('loans').isPaused(), false);

		const dry = await s.cli(['pause', 'loans', '--dry-run', '--json']);
		assert.equal(dry.code, 0, describeResult(dry));
		assert.equal(parseJson(dry).dryRun, true);
		assert.equal(await paused(), false, '--dry-run pauses nothing');
	});
});

describe('dispatch', () => {
	// `default` is one of the seed's configured queues (tries 3): it may be dispatched to before it exists.
	const QUEUE = 'default';

	it('dispatch Q loan.approved --data JSON creates a waiting job whose data is exactly that, with the queue\'s tries', async t => {
		const s = scope(t, url);
		const result = await s.cli(['dispatch', QUEUE, 'loan.approved', '--data', '{"loanId":42}', '--json']);
		assert.equal(result.code, 0, describeResult(result));
		const body = parseJson(result);
		assert.deepEqual(head(body), {queue: QUEUE, action: 'dispatch', count: 1, dryRun: false});
		assert.equal(typeof body.jobId, 'string');
		const job = await s.queue(QUEUE).getJob(body.jobId);
		assert.ok(job, `job ${String(body.jobId)} exists`);
		assert.equal(job.name, 'loan.approved');
		assert.deepEqual(job.data, {loanId: 42});
		assert.equal(await s.client.hget(`${s.prefix}:${QUEUE}:${job.id!}`, 'data'), '{"loanId":42}', 'stored exactly as given');
		assert.equal(await job.getState(), 'waiting');
		assert.equal(job.opts.attempts, 3, 'the seed\'s tries 3 for the default queue');
	});

	it('--data @file reads the JSON from a file', async t => {
		const s = scope(t, url);
		const file = path.join(scratchDir(), `${s.prefix}-data.json`);
		const data = {approvalId: 7, approver: 'Neema', amounts: [1, 2.5], note: 'ümlaut ✓'};
		writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
		const result = await s.cli(['dispatch', QUEUE, 'approval.processed', '--data', `@${file}`, '--json']);
		assert.equal(result.code, 0, describeResult(result));
		const job = await s.queue(QUEUE).getJob(parseJson(result).jobId);
		assert.deepEqual(job?.data, data);
	});

	it('--delay 1m makes it delayed by a minute; --priority 3 makes it prioritized', async t => {
		const s = scope(t, url);
		const before = Date.now();
		const delayed = await s.cli(['dispatch', QUEUE, 'loan.reminder', '--delay', '1m', '--json']);
		assert.equal(delayed.code, 0, describeResult(delayed));
		const delayedJob = await s.queue(QUEUE).getJob(parseJson(delayed).jobId);
		assert.equal(await delayedJob!.getState(), 'delayed');
		assert.equal(delayedJob!.delay, 60_000);
		const dueAt = Number(await s.client.zscore(`${s.prefix}:${QUEUE}:delayed`, delayedJob!.id!)) / 0x1000;
		assert.ok(dueAt >= before + 60_000 && dueAt <= Date.now() + 60_000, `due at ${dueAt}, about a minute after ${before}`);

		const prioritized = await s.cli(['dispatch', QUEUE, 'member.alert', '--priority', '3', '--json']);
		assert.equal(prioritized.code, 0, describeResult(prioritized));
		const prioritizedJob = await s.queue(QUEUE).getJob(parseJson(prioritized).jobId);
		assert.equal(await prioritizedJob!.getState(), 'prioritized');
		assert.equal(prioritizedJob!.priority, 3);
		assert.deepEqual(await s.queue(QUEUE).getCountsPerPriority([3]), {3: 1});
	});

	it('malformed JSON (inline or in the file) is a usage error (exit 2) and creates no key', async t => {
		const s = scope(t, url);
		const inline = await s.cli(['dispatch', QUEUE, 'loan.approved', '--data', '{"loanId":', '--json']);
		assert.equal(inline.code, 2, describeResult(inline));
		assert.equal(parseJson(inline).error?.code, 'usage');
		const file = path.join(scratchDir(), `${s.prefix}-bad.json`);
		writeFileSync(file, '{loanId: 42}');
		const fromFile = await s.cli(['dispatch', QUEUE, 'loan.approved', '--data', `@${file}`]);
		assert.equal(fromFile.code, 2, describeResult(fromFile));
		const missingFile = await s.cli(['dispatch', QUEUE, 'loan.approved', '--data', `@${file}.missing`]);
		assert.equal(missingFile.code, 2, describeResult(missingFile));
		const badDelay = await s.cli(['dispatch', QUEUE, 'loan.approved', '--delay', 'soon']);
		assert.equal(badDelay.code, 2, describeResult(badDelay));
		const badPriority = await s.cli(['dispatch', QUEUE, 'loan.approved', '--priority', '0']);
		assert.equal(badPriority.code, 2, describeResult(badPriority));
		assert.deepEqual(await keysUnder(s.client, s.prefix), [], 'nothing was written');
		assert.deepEqual((await placement(s.client, s.prefix, QUEUE)).waiting, []);
	});

	it('--job-id: dispatching an id that exists adds nothing, keeps the first data, and says so (count 0)', async t => {
		const s = scope(t, url);
		const first = await s.cli(['dispatch', QUEUE, 'loan.approved', '--job-id', 'loan-42', '--data', '{"loanId":42}', '--json']);
		assert.equal(first.code, 0, describeResult(first));
		assert.deepEqual(head(parseJson(first)), {queue: QUEUE, action: 'dispatch', count: 1, dryRun: false});
		assert.equal(parseJson(first).jobId, 'loan-42');
		const second = await s.cli(['dispatch', QUEUE, 'loan.approved', '--job-id', 'loan-42', '--data', '{"loanId":43}', '--json']);
		assert.equal(second.code, 0, describeResult(second));
		assert.deepEqual((await s.queue(QUEUE).getJob('loan-42'))?.data, {loanId: 42}, 'BullMQ keeps the first job');
		assert.equal(await s.queue(QUEUE).getWaitingCount(), 1);
		assert.equal(parseJson(second).count, 0, `count = jobs affected (README, "Commands"); the duplicate added none: ${second.stdout.trim()}`);
	});
});
