/**
 * `saccos-queue worker` (queue:work) running real jobs through a real BullMQ
 * on a real Redis: queue priority order, tries and backoff as BullMQ records
 * them, a job with no processor, and data that fails its processor's schema.
 * Every execution is recorded in a file by test/helpers/processors/record.js.
 */
import {describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {Worker as BullWorker} from 'bullmq';
import {waitFor} from '../helpers/keyspace.js';
import {testRedisUrl} from '../helpers/redis-server.js';
import {FAST, jobView, line, processors, useSandboxes} from '../helpers/worker-process.js';


describe('worker: jobs, priority, tries', {concurrency: true}, () => {
	const url = testRedisUrl();
	const open = useSandboxes(url);

	it('--queue high,default --concurrency 1 finishes every waiting high job before taking a default one', async () => {
		const box = open('prio');
		const config = box.writeConfig({queues: {high: {timeout: 5}, default: {timeout: 5}}});
		// The default jobs are older: order by queue, not by age.
		const defaults = [];
		for (let index = 0; index < 4; index++) defaults.push(await box.add('default', {n: index}));
		const highs = [];
		for (let index = 0; index < 4; index++) highs.push(await box.add('high', {n: index}));
		// --daemon: accepted for compatibility with queue:work.
		const worker = box.worker(config, ['--queue', 'high,default', '--concurrency', '1', '--daemon', ...FAST]);
		await box.waitForRecords(record => record.event === 'done', 8, 'all 8 jobs done');
		const starts = box.records().filter(record => record.event === 'start');
		assert.deepEqual(starts.map(record => record.queue), ['high', 'high', 'high', 'high', 'default', 'default', 'default', 'default'], `execution order: ${JSON.stringify(starts)}`);
		// BullMQ's own timestamps say the same: every high job finished before any default job started.
		const high = await Promise.all(highs.map(async id => jobView(box.queue('high'), id)));
		const low = await Promise.all(defaults.map(async id => waitFor(async () => {
			const view = await jobView(box.queue('default'), id);
			return view?.state === 'completed' ? view : undefined;
		}, `default job ${id} completed`)));
		const lastHighFinish = Math.max(...high.map(view => view!.finishedOn!));
		const firstDefaultStart = Math.min(...low.map(view => view.processedOn!));
		assert.ok(lastHighFinish <= firstDefaultStart, `a default job started (${firstDefaultStart}) before the last high job finished (${lastHighFinish})`);
		assert.ok(high.every(view => view?.state === 'completed'));
		worker.signal('SIGTERM');
		assert.equal((await worker.waitForExit(8000)).code, 0, worker.describe());
	});

	it('--queue high,default --concurrency 3 takes every waiting high job before any default one', async () => {
		const box = open('prio3');
		const config = box.writeConfig({queues: {high: {timeout: 5}, default: {timeout: 5}}});
		for (let index = 0; index < 3; index++) await box.add('default', {sleepMs: 100});
		for (let index = 0; index < 7; index++) await box.add('high', {sleepMs: 100});
		box.worker(config, ['--queue', 'high,default', '--concurrency', '3', ...FAST]);
		await box.waitForRecords(record => record.event === 'done', 10, 'all 10 jobs done');
		const starts = box.records().filter(record => record.event === 'start');
		const lastHigh = starts.map(record => record.queue).lastIndexOf('high');
		const firstDefault = starts.map(record => record.queue).indexOf('default');
		assert.ok(lastHigh < firstDefault, `start order: ${starts.map(record => record.queue).join(' ')}`);
	});

	it('tries 3: fails twice then succeeds → completed, with the attempts BullMQ itself records', async () => {
		const box = open('tries');
		const config = box.writeConfig({queues: {default: {timeout: 5, tries: 3}}});
		const id = await box.add('default', {failTimes: 2});
		// The reference: a bare BullMQ Worker on the same scenario (attempts 3, no backoff).
		const reference = box.queue('reference');
		const refJob = await reference.add('x', {}, {attempts: 3});
		const bare = new BullWorker('reference', async job => {
			if (job.attemptsMade < 2) throw new Error('planned');
			return 'ok';
		}, {connection: box.client(), prefix: box.prefix});
		let ref;
		try {
			ref = await waitFor(async () => {
				const view = await jobView(reference, refJob.id!);
				return view?.state === 'completed' ? view : undefined;
			}, 'the reference job to complete');
		} finally {
			await bare.close();
		}
		// The job was added without "attempts" (as most producers do): the queue's tries apply.
		const worker = box.worker(config, ['--queue', 'default', ...FAST]);
		const ours = await waitFor(async () => {
			const view = await jobView(box.queue('default'), id);
			return view?.state === 'completed' || view?.state === 'failed' ? view : undefined;
		}, 'the job to finish');
		assert.equal(ours.state, 'completed', `the job failed after ${ours.attemptsMade} attempt(s) (${ours.failedReason}): the queue's "tries": 3 was not applied`);
		assert.equal(ours.attemptsMade, ref.attemptsMade, `attemptsMade: ours ${ours.attemptsMade}, bare BullMQ ${ref.attemptsMade}`);
		// BullMQ 6 counts the successful attempt too: 2 failures + 1 success.
		assert.equal(ours.attemptsMade, 3);
		assert.equal(ours.attemptsStarted, ref.attemptsStarted);
		assert.deepEqual(ours.returnvalue, {recorded: id, attempt: 3});
		const starts = box.records().filter(record => record.event === 'start');
		assert.deepEqual(starts.map(record => record.attempt), [1, 2, 3]);
		// The log says what happened to each attempt (lines are buffered: wait for the last one).
		await worker.waitForLine(line.job('job completed', id), 'job completed');
		const failures = worker.lines.filter(entry => entry.msg === 'job failed' && entry['jobId'] === id);
		assert.deepEqual(failures.map(entry => [entry['attempt'], entry['willRetry']]), [[1, true], [2, true]]);
	});

	it('tries 3, always failing → failed after 3 attempts with the last reason and a stack trace', async () => {
		const box = open('fail');
		const config = box.writeConfig({queues: {default: {timeout: 5, tries: 3}}});
		const id = await box.add('default', {failTimes: 99});
		const worker = box.worker(config, ['--queue', 'default', ...FAST]);
		const view = await waitFor(async () => {
			const found = await jobView(box.queue('default'), id);
			return found?.state === 'failed' ? found : undefined;
		}, 'the job to fail for good');
		assert.equal(view.attemptsMade, 3, 'the queue\'s "tries": 3 was not applied to a job added without "attempts"');
		assert.equal(view.failedReason, 'planned failure on attempt 3');
		const stack = view.stacktrace ?? [];
		assert.ok(stack.length >= 1, 'no stack trace recorded');
		assert.match(stack.at(-1)!, /planned failure on attempt 3[\s\S]*record\.js/, `stack trace: ${stack.at(-1)}`);
		assert.deepEqual(box.records().filter(record => record.event === 'start').map(record => record.attempt), [1, 2, 3]);
		const last = await worker.waitForLine(entry => entry.msg === 'job failed' && entry['jobId'] === id && entry['attempt'] === 3, 'the final failure');
		assert.equal(last['willRetry'], false);
		assert.equal(last.level, 'error');
		assert.match(String(last['err']), /planned failure on attempt 3/);
	});

	it('a fixed backoff delays the retry: the job waits in "delayed" between attempts', async () => {
		const box = open('backoff');
		const config = box.writeConfig({queues: {emails: {timeout: 5, tries: 2, backoff: {type: 'fixed', delay: 1500}}}});
		// attempts set by the producer (tries are tested above); the backoff comes from the config.
		const id = await box.add('emails', {failTimes: 1}, {attempts: 2});
		box.worker(config, ['--queue', 'emails', ...FAST]);
		await box.waitForRecords(record => record.event === 'fail', 1, 'the first failure');
		await waitFor(async () => (await box.queue('emails').getJobState(id)) === 'delayed', 'the job to be delayed after its first failure', 1400);
		const [done] = await box.waitForRecords(record => record.event === 'done', 1, 'the retry to succeed');
		const starts = box.records().filter(record => record.event === 'start');
		assert.equal(starts.length, 2);
		const gap = starts[1]!.t - starts[0]!.t;
		assert.ok(gap >= 1500, `retried after ${gap} ms, before the 1500 ms backoff`);
		assert.ok(gap < 5000, `retried only after ${gap} ms`);
		assert.equal(done!.attempt, 2);
		await waitFor(async () => (await box.queue('emails').getJobState(id)) === 'completed', 'completed');
	});

	it('a job with no processor fails once with a clear reason, and the worker goes on', async () => {
		const box = open('noproc');
		const config = box.writeConfig({queues: {default: {timeout: 5, tries: 3}}});
		const orphan = await box.add('default', {}, {name: 'reports:unknown'});
		const next = await box.add('default', {});
		const worker = box.worker(config, ['--queue', 'default', ...FAST]);
		const view = await waitFor(async () => {
			const found = await jobView(box.queue('default'), orphan);
			return found?.state === 'failed' ? found : undefined;
		}, 'the job without a processor to fail');
		assert.equal(view.attemptsMade, 1, 'a missing processor must not be retried');
		assert.match(view.failedReason, /no processor for job "reports:unknown"/);
		await waitFor(async () => (await box.queue('default').getJobState(next)) === 'completed', 'the next job to complete');
		const failed = await worker.waitForLine(line.job('job failed', orphan), 'the failure in the log');
		assert.equal(failed['willRetry'], false);
	});

	it('data that fails the processor\'s schema fails at once, without retries, naming the field', async () => {
		const box = open('schema');
		const config = box.writeConfig({queues: {default: {timeout: 5, tries: 3}}, processors: {transfer: processors.validated}});
		const bad = await box.add('default', {account: {number: '12'}, amount: 5}, {name: 'transfer'});
		const good = await box.add('default', {account: {number: '0123456789'}, amount: 5}, {name: 'transfer'});
		box.worker(config, ['--queue', 'default', ...FAST]);
		const view = await waitFor(async () => {
			const found = await jobView(box.queue('default'), bad);
			return found?.state === 'failed' ? found : undefined;
		}, 'the invalid job to fail');
		assert.equal(view.attemptsMade, 1);
		assert.match(view.failedReason, /account\.number/);
		assert.match(view.failedReason, /10 digits/);
		await waitFor(async () => (await box.queue('default').getJobState(good)) === 'completed', 'the valid job to complete');
		// The processor never ran for the invalid job.
		assert.deepEqual(box.records().map(record => record.id), [good]);
	});

	for (const isolation of ['none', 'thread', 'process'] as const) {
		it(`isolation "${isolation}": ctx.log and ctx.progress (destructured) reach the job's BullMQ log and progress`, async () => {
			const box = open(`report-${isolation}`);
			const config = box.writeConfig({queues: {default: {timeout: 10, isolation}}});
			const text = `report line ${isolation}`;
			const id = await box.add('default', {report: text});
			box.worker(config, ['--queue', 'default', ...FAST]);
			await box.waitForRecords(record => record.event === 'done' && record.id === id, 1, 'the job done');
			const queue = box.queue('default');
			await waitFor(async () => (await queue.getJobState(id)) === 'completed', 'the job completed');
			const {logs} = await queue.getJobLogs(id);
			assert.deepEqual(logs, [text]);
			assert.equal((await queue.getJob(id))?.progress, 100);
		});
	}
});

