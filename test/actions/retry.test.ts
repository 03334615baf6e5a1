/**
 * `retry` through the built binary, against failed jobs a real BullMQ Worker
 * left behind, checked with BullMQ's own getters (getState, priority,
 * attemptsMade, parent dependencies) and by letting a Worker run the retried
 * jobs: what an operator notices is that the jobs run again, in priority
 * order, with their tries back, and that flows carry on.
 */
import {describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {Worker} from 'bullmq';
import {describeResult, parseJson} from '../helpers/cli.js';
import {makeFailedJobs, placement, scope} from '../helpers/failed-jobs.js';
import {waitFor} from '../helpers/keyspace.js';
import {testRedisUrl} from '../helpers/redis-server.js';

const url = testRedisUrl();
const QUEUE = 'loans';

const sorted = (ids: Iterable<string>): string[] => [...ids].sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));

describe('retry', () => {
	it('retry --all --queue Q --yes: no failed job left, each back in waiting or (keeping its priority) prioritized, tries reset', async t => {
		const s = scope(t, url);
		const made = await makeFailedJobs({url, prefix: s.prefix, queue: QUEUE, count: 300, priorityEvery: 4});
		const queue = s.queue(QUEUE);
		const before = await queue.getJob(made.jobs[0]!.id);
		assert.equal(before?.attemptsMade, 1, 'the fill left jobs that used their one try');

		const result = await s.cli(['retry', '--all', '--queue', QUEUE, '--yes', '--json']);
		assert.equal(result.code, 0, describeResult(result));
		const body = parseJson(result);
		assert.deepEqual({queue: body.queue, action: body.action, count: body.count, dryRun: body.dryRun}, {queue: QUEUE, action: 'retry', count: 300, dryRun: false});

		assert.equal(await queue.getFailedCount(), 0);
		const withPriority = made.jobs.filter(job => job.priority !== undefined);
		assert.equal(withPriority.length, 75);
		assert.deepEqual(await queue.getJobCounts('waiting', 'prioritized', 'failed'), {waiting: 225, prioritized: 75, failed: 0});
		for (const expected of made.jobs) {
			const job = await queue.getJob(expected.id);
			assert.ok(job, `job ${expected.id} still exists`);
			assert.equal(await job.getState(), expected.priority ? 'prioritized' : 'waiting', `state of job ${expected.id}`);
			assert.equal(job.priority, expected.priority ?? 0, `priority of job ${expected.id}`);
			assert.equal(job.attemptsMade, 0, `attemptsMade of job ${expected.id}`);
			assert.equal(job.attemptsStarted, 0, `attemptsStarted of job ${expected.id}`);
			assert.ok(!job.failedReason, `job ${expected.id} still shows failedReason ${String(job.failedReason)}`);
			assert.ok(!job.finishedOn, `job ${expected.id} still shows finishedOn`);
			assert.deepEqual(job.data, expected.data);
		}

		// What the operator sees next: every job runs again, the prioritized ones in priority order, each on its first try.
		const order: Array<{id: string; priority: number}> = [];
		const worker = new Worker(QUEUE, async job => {
			order.push({id: job.id!, priority: job.priority});
			return 'ok';
		}, {connection: {url}, prefix: s.prefix, concurrency: 1});
		t.after(async () => worker.close());
		await waitFor(async () => (await queue.getCompletedCount()) === 300, '300 retried jobs to complete', 30_000);
		assert.deepEqual(sorted(order.map(entry => entry.id)), sorted(made.jobs.map(job => job.id)), 'each job ran exactly once');
		const priorities = order.filter(entry => entry.priority > 0).map(entry => entry.priority);
		assert.deepEqual(priorities, [...priorities].sort((a, b) => a - b), 'prioritized jobs ran in priority order');
		await worker.close();
		const rerun = await queue.getJob(made.jobs[0]!.id);
		assert.equal(rerun?.attemptsMade, 1, 'a retried job that then succeeded shows 1 attempt, not 2');
	});

	it('retry --all without --yes and without a terminal refuses (exit 6); --dry-run reports the count and changes nothing', async t => {
		const s = scope(t, url);
		await makeFailedJobs({url, prefix: s.prefix, queue: QUEUE, count: 40, priorityEvery: 5});
		const queue = s.queue(QUEUE);
		const before = await placement(s.client, s.prefix, QUEUE);

		const refused = await s.cli(['retry', '--all', '--queue', QUEUE]);
		assert.equal(refused.code, 6, describeResult(refused));
		assert.match(refused.stderr, /--yes/, 'the refusal says how to confirm');
		assert.deepEqual(await placement(s.client, s.prefix, QUEUE), before);

		const dry = await s.cli(['retry', '--all', '--queue', QUEUE, '--dry-run', '--json']);
		assert.equal(dry.code, 0, describeResult(dry));
		const body = parseJson(dry);
		assert.deepEqual({queue: body.queue, action: body.action, count: body.count, dryRun: body.dryRun}, {queue: QUEUE, action: 'retry', count: 40, dryRun: true});
		assert.deepEqual(await placement(s.client, s.prefix, QUEUE), before);
		assert.equal(await queue.getFailedCount(), 40);
	});

	it('retry Q id1 id2 retries just those and reports the ids that were not failed', async t => {
		const s = scope(t, url);
		const made = await makeFailedJobs({url, prefix: s.prefix, queue: QUEUE, count: 10, priorityEvery: 3});
		const queue = s.queue(QUEUE);
		const waiting = await queue.add('loan.approved', {loanId: 77});
		const [first, , third] = made.jobs; // third (index 2) has a priority
		assert.ok(third?.priority, 'the third job was added with a priority');

		const result = await s.cli(['retry', QUEUE, first!.id, third!.id, waiting.id!, '999999', '--json']);
		assert.equal(result.code, 0, describeResult(result));
		const body = parseJson(result);
		assert.deepEqual({queue: body.queue, action: body.action, count: body.count, dryRun: body.dryRun}, {queue: QUEUE, action: 'retry', count: 2, dryRun: false});
		assert.deepEqual(body.notFailed, [waiting.id, '999999']);

		assert.equal(await (await queue.getJob(first!.id))!.getState(), 'waiting');
		const retriedThird = await queue.getJob(third!.id);
		assert.equal(await retriedThird!.getState(), 'prioritized');
		assert.equal(retriedThird!.priority, third!.priority);
		assert.equal(retriedThird!.attemptsMade, 0);
		assert.equal(await (await queue.getJob(waiting.id!))!.getState(), 'waiting', 'the waiting job is left as it was');
		const after = await placement(s.client, s.prefix, QUEUE);
		assert.deepEqual(sorted(after.failed), sorted(made.jobs.slice(1).filter(job => job !== third).map(job => job.id)), 'the other 8 stay failed');
		assert.equal(await s.client.exists(`${s.prefix}:${QUEUE}:999999`), 0, 'no job is created for an unknown id');

		// A person reading the human output learns which ids were left alone.
		const human = await s.cli(['retry', QUEUE, made.jobs[1]!.id, waiting.id!]);
		assert.equal(human.code, 0, describeResult(human));
		assert.match(human.stdout, /retried 1 job/);
		assert.match(human.stdout, new RegExp(`not failed, left alone: ${waiting.id!}\\b`));
	});

	it('a retried child goes back into its parent\'s dependencies, and the flow then completes (default flow options)', async t => {
		const s = scope(t, url);
		const made = await makeFailedJobs({url, prefix: s.prefix, queue: QUEUE, count: 6, parentEvery: 3});
		const children = made.jobs.filter(job => job.parent);
		assert.equal(children.length, 2);
		const queue = s.queue(QUEUE);
		const parents = s.queue(made.parentQueue);
		for (const child of children) {
			const parent = await parents.getJob(child.parent!.id);
			assert.equal(await parent!.getState(), 'waiting-children', 'a failed child (default options) keeps its parent waiting');
		}

		const result = await s.cli(['retry', '--all', '--queue', QUEUE, '--yes', '--json']);
		assert.equal(result.code, 0, describeResult(result));
		assert.equal(parseJson(result).count, 6);
		for (const child of children) {

			assert.equal(await (await queue.getJob(child.id))!.getState(), 'waiting');
			const parent = await parents.getJob(child.parent!.id);
			assert.equal(await parent!.getState(), 'waiting-children');
			const dependencies = await parent!.getDependencies();
			assert.deepEqual(dependencies.unprocessed, [`${s.prefix}:${QUEUE}:${child.id}`], 'the child is (still) the parent\'s pending dependency');

		}

		const worker = new Worker(QUEUE, async job => ({done: job.id}), {connection: {url}, prefix: s.prefix, concurrency: 10});
		t.after(async () => worker.close());
		for (const child of children) {

			const parent = await waitFor(async () => {
				const candidate = await parents.getJob(child.parent!.id);
				return (await candidate?.getState()) === 'waiting' ? candidate : undefined;
			}, `parent ${child.parent!.id} to leave waiting-children once its retried child completed`, 15_000);
			assert.deepEqual(await parent.getChildrenValues(), {[`${s.prefix}:${QUEUE}:${child.id}`]: {done: child.id}});

		}
		await worker.close();
	});

	it('a retried child whose failure was ignored (ignoreDependencyOnFailure) is put back into its parent\'s dependencies, as BullMQ\'s own job.retry() does', async t => {
		const s = scope(t, url);
		const made = await makeFailedJobs({url, prefix: s.prefix, queue: QUEUE, count: 2, parentEvery: 1, pendingSibling: true, childOptions: {ignoreDependencyOnFailure: true}});
		const [ours, theirs] = made.jobs;
		const queue = s.queue(QUEUE);
		const parents = s.queue(made.parentQueue);
		const view = async (child: typeof ours) => {
			const parent = (await parents.getJob(child!.parent!.id))!;
			const dependencies = await parent.getDependencies();
			return {
				child: await (await queue.getJob(child!.id))!.getState(),
				parent: await parent.getState(),
				unprocessed: [...(dependencies.unprocessed ?? [])].sort(),
				ignoredFailures: Object.keys(await parent.getIgnoredChildrenFailures()),
			};
		};
		const childKey = (child: typeof ours) => `${s.prefix}:${QUEUE}:${child!.id}`;
		const siblingKey = (child: typeof ours) => `${s.prefix}:${made.parentQueue}:${child!.sibling!.id}`;
		assert.deepEqual(await view(ours), {child: 'failed', parent: 'waiting-children', unprocessed: [siblingKey(ours)], ignoredFailures: [childKey(ours)]}, 'the failure was ignored: the child left the dependencies');

		const result = await s.cli(['retry', QUEUE, ours!.id, '--json']);
		assert.equal(result.code, 0, describeResult(result));
		assert.equal(parseJson(result).count, 1);
		await (await queue.getJob(theirs!.id))!.retry('failed', {resetAttemptsMade: true, resetAttemptsStarted: true});

		const expected = (child: typeof ours) => ({child: 'waiting', parent: 'waiting-children', unprocessed: [childKey(child), siblingKey(child)].sort(), ignoredFailures: []});
		assert.deepEqual(await view(theirs), expected(theirs), 'BullMQ\'s own job.retry()');
		assert.deepEqual(await view(ours), expected(ours), 'saccos-queue retry gives the same result as BullMQ\'s job.retry()');
	});
});
