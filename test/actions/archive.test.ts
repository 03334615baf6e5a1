/**
 * `archive` then `restore` through the built binary: the archive file holds
 * everything needed to put a job back (and is on disk before a job is
 * removed), and restoring gives back every job with identical data —
 * corrupt data included — exactly once however often it is run.
 */
import {describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {appendFileSync, existsSync, readFileSync, statSync} from 'node:fs';
import path from 'node:path';
import {Redis} from 'ioredis';
import {FlowProducer, Worker, type Job} from 'bullmq';
import {describeResult, parseJson, scratchDir, spawnCli} from '../helpers/cli.js';
import {ageFailures, makeFailedJobs, placement, scope} from '../helpers/failed-jobs.js';
import {waitFor} from '../helpers/keyspace.js';
import {testRedisUrl} from '../helpers/redis-server.js';

const url = testRedisUrl();
const QUEUE = 'loans';
const CORRUPT = '{not json';

const head = (body: Record<string, unknown>) => ({queue: body['queue'], action: body['action'], count: body['count'], dryRun: body['dryRun']});
const archivePath = (prefix: string, name: string): string => path.join(scratchDir(), `${prefix}-${name}.jsonl`);
const readArchive = (file: string): Array<Record<string, any>> => // eslint-disable-line @typescript-eslint/no-explicit-any
	readFileSync(file, 'utf8').split('\n').filter(line => line !== '').map(line => JSON.parse(line) as Record<string, any>); // eslint-disable-line @typescript-eslint/no-explicit-any

/** Data a SACCOS producer might send: nested, unicode, numbers that must stay numbers. */
const dataOf = (index: number): unknown => ({
	loanId: 5000 + index,
	member: {id: `M-${index}`, name: index % 3 === 0 ? 'Zawadi Mwakyusa' : 'Émile Ñúñez — 测试'},
	amount: 125_000.5 + index,
	schedule: [1, 2, 3].map(month => ({month, due: month * 10})),
	flags: {approved: true, notes: null},
});

describe('archive and restore', () => {
	it('archive writes one complete JSON line per job and removes the jobs; restore gives every job back with identical data, once', async t => {
		const s = scope(t, url);
		const made = await makeFailedJobs({url, prefix: s.prefix, queue: QUEUE, count: 30, priorityEvery: 5, data: dataOf});
		const queue = s.queue(QUEUE);
		const logged = made.jobs[1]!;
		await queue.addJobLog(logged.id, 'called core banking');
		await queue.addJobLog(logged.id, 'got HTTP 504');
		const corrupt = made.jobs[2]!;
		// A buggy producer wrote data that is not JSON (behind BullMQ's back, as fill.ts does).
		await s.client.hset(`${s.prefix}:${QUEUE}:${corrupt.id}`, 'data', CORRUPT);
		const originals = new Map<string, Job>();
		for (const job of made.jobs) if (job !== corrupt) originals.set(job.id, (await queue.getJob(job.id))!);

		const file = archivePath(s.prefix, 'all');
		const refused = await s.cli(['archive', '--older-than', '0s', '--queue', QUEUE, '--to', file]);
		assert.equal(refused.code, 6, describeResult(refused));
		assert.equal(existsSync(file), false, 'a refused archive writes no file');
		assert.equal(await queue.getFailedCount(), 30);

		const result = await s.cli(['archive', '--older-than', '0s', '--queue', QUEUE, '--to', file, '--yes', '--json']);
		assert.equal(result.code, 0, describeResult(result));
		assert.deepEqual(head(parseJson(result)), {queue: QUEUE, action: 'archive', count: 30, dryRun: false});
		assert.equal(statSync(file).mode & 0o777, 0o600, 'job data is private: the archive is 0600');

		const records = readArchive(file);
		assert.equal(records.length, 30, 'one line per job');
		assert.deepEqual(new Set(records.map(record => record['id'])), new Set(made.jobs.map(job => job.id)));
		for (const record of records) {
			const expected = made.byId.get(record['id'])!;
			assert.equal(record['queue'], QUEUE);
			assert.equal(record['name'], 'loan.approved');
			assert.equal(record['failedReason'], expected.reason);
			assert.ok(Array.isArray(record['stacktrace']) && record['stacktrace'].length === 1 && String(record['stacktrace'][0]).includes(expected.reason), `stacktrace of ${expected.id}: ${JSON.stringify(record['stacktrace'])}`);
			assert.equal(record['attemptsMade'], 1);
			assert.equal(record['opts'].attempts, 1);
			assert.equal(record['opts'].priority, expected.priority, `opts.priority of ${expected.id}`);
			if (expected === corrupt) {
				assert.equal(record['data'], null);
				assert.equal(record['rawData'], CORRUPT, 'corrupt data is archived verbatim');
				continue;
			}
			const original = originals.get(expected.id)!;
			assert.deepEqual(record['data'], dataOf(expected.index));
			for (const field of ['timestamp', 'processedOn', 'finishedOn'] as const) {
				assert.equal(typeof record[field], 'number', `${field} of ${expected.id}`);
				assert.equal(record[field], original[field], `${field} of ${expected.id}`);
			}
			assert.deepEqual(record['stacktrace'], original.stacktrace);
		}
		assert.deepEqual(records.find(record => record['id'] === logged.id)!['logs'], ['called core banking', 'got HTTP 504']);

		// Removed from Redis: no failed job, no job hash, no logs.
		assert.equal(await queue.getFailedCount(), 0);
		for (const job of made.jobs) assert.equal(await s.client.exists(`${s.prefix}:${QUEUE}:${job.id}`), 0, `job ${job.id} still has a hash`);
		assert.equal(await s.client.exists(`${s.prefix}:${QUEUE}:${logged.id}:logs`), 0);

		// Restore: numeric ids come back as restored-<id>, with identical data, waiting (or prioritized, keeping the priority).
		const restored = await s.cli(['restore', file, '--json']);
		assert.equal(restored.code, 0, describeResult(restored));
		assert.deepEqual(head(parseJson(restored)), {queue: null, action: 'restore', count: 30, dryRun: false});
		for (const expected of made.jobs) {

			const id = `restored-${expected.id}`;
			if (expected === corrupt) {
				assert.equal(await s.client.hget(`${s.prefix}:${QUEUE}:${id}`, 'data'), CORRUPT, 'the corrupt job round-trips its raw data');
				continue;
			}
			const job = await queue.getJob(id);
			assert.ok(job, `job ${expected.id} was restored as ${id}`);
			assert.deepEqual(job.data, dataOf(expected.index), `data of ${id}`);
			assert.equal(job.name, 'loan.approved');
			assert.equal(await job.getState(), expected.priority ? 'prioritized' : 'waiting', `state of ${id}`);
			assert.equal(job.priority, expected.priority ?? 0);
			assert.equal(job.attemptsMade, 0, 'a restored job has its tries back');
			assert.ok(!job.failedReason);

		}
		const restoredLogs = await queue.getJobLogs(`restored-${logged.id}`);
		assert.deepEqual(restoredLogs.logs.slice(0, 2), ['called core banking', 'got HTTP 504'], 'the job\'s log lines come back');
		const corruptState = await s.client.lpos(`${s.prefix}:${QUEUE}:wait`, `restored-${corrupt.id}`);
		const corruptPrioritized = await s.client.zscore(`${s.prefix}:${QUEUE}:prioritized`, `restored-${corrupt.id}`);
		assert.ok(corruptState !== null || corruptPrioritized !== null, 'the corrupt job is queued again');
		const counts = await queue.getJobCounts('waiting', 'prioritized', 'failed');
		assert.deepEqual(counts, {waiting: 24, prioritized: 6, failed: 0});

		// Restoring the same file again adds nothing.
		const twice = await s.cli(['restore', file, '--json']);
		assert.equal(twice.code, 0, describeResult(twice));
		assert.equal(parseJson(twice).count, 0);
		assert.equal(parseJson(twice).skipped, 30);
		assert.deepEqual(await queue.getJobCounts('waiting', 'prioritized', 'failed'), counts);
	});

	it('every job removed during an archive run is already in the file (watched while it runs, 5,000 jobs)', async t => {
		const s = scope(t, url);
		const made = await makeFailedJobs({url, prefix: s.prefix, queue: QUEUE, count: 5000});
		const file = archivePath(s.prefix, 'watched');
		const watcher = new Redis(url, {maxRetriesPerRequest: null});
		t.after(() => watcher.disconnect());
		const failedKey = `${s.prefix}:${QUEUE}:failed`;
		const child = spawnCli(['archive', '--older-than', '0s', '--queue', QUEUE, '--to', file, '--yes', '--json', '--redis', url, '--prefix', s.prefix]);
		const out: Buffer[] = [];
		child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
		child.stderr.on('data', (chunk: Buffer) => out.push(chunk));
		let exited = false;
		const exit = new Promise<number | null>(resolve => child.once('close', code => {
			exited = true;
			resolve(code);
		}));
		const all = made.jobs.map(job => job.id);
		let observations = 0;
		let midway = 0;
		while (!exited) {
			// First what is still in Redis, then the file: anything gone before the first read must be in the second.
			const remaining = new Set(await watcher.zrange(failedKey, 0, -1));
			const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
			const complete = text.slice(0, text.lastIndexOf('\n') + 1);
			const inFile = new Set(complete.split('\n').filter(Boolean).map(line => (JSON.parse(line) as {id: string}).id));
			const missing = all.filter(id => !remaining.has(id) && !inFile.has(id));
			assert.deepEqual(missing.slice(0, 5), [], `${missing.length} job(s) removed from Redis before they were in the archive file`);
			observations++;
			if (remaining.size > 0 && remaining.size < all.length) midway++;
		}
		assert.equal(await exit, 0, Buffer.concat(out).toString('utf8'));
		const records = readArchive(file);
		assert.equal(records.length, 5000);
		assert.deepEqual(new Set(records.map(record => record['id'])), new Set(all));
		assert.equal(await watcher.zcard(failedKey), 0);
		t.diagnostic(`${observations} observations, ${midway} while the archive was half done`);
	});

	it('archive --older-than keeps recent failures; an unwritable --to path deletes nothing (exit 74)', async t => {
		const s = scope(t, url);
		const made = await makeFailedJobs({url, prefix: s.prefix, queue: QUEUE, count: 40});
		const old = made.jobs.slice(0, 15).map(job => job.id);
		await ageFailures(s.client, s.prefix, QUEUE, old, 3 * 86_400_000);

		const unwritable = await s.cli(['archive', '--older-than', '1d', '--queue', QUEUE, '--to', path.join(scratchDir(), 'no-such-dir', 'a.jsonl'), '--yes']);
		assert.equal(unwritable.code, 74, describeResult(unwritable));
		assert.equal(await s.queue(QUEUE).getFailedCount(), 40);

		const dryFile = archivePath(s.prefix, 'dry');
		const dry = await s.cli(['archive', '--older-than', '1d', '--queue', QUEUE, '--to', dryFile, '--dry-run', '--json']);
		assert.deepEqual(head(parseJson(dry)), {queue: QUEUE, action: 'archive', count: 15, dryRun: true});
		assert.equal(existsSync(dryFile), false, 'a dry run writes no file');

		const file = archivePath(s.prefix, 'old');
		const result = await s.cli(['archive', '--older-than', '1d', '--queue', QUEUE, '--to', file, '--yes', '--json']);
		assert.equal(result.code, 0, describeResult(result));
		assert.equal(parseJson(result).count, 15);
		assert.deepEqual(new Set(readArchive(file).map(record => record['id'])), new Set(old));
		assert.deepEqual(new Set((await placement(s.client, s.prefix, QUEUE)).failed), new Set(made.jobs.slice(15).map(job => job.id)));
	});

	it('archive deletes only the failed jobs it wrote to the file: a failed parent\'s children stay, as with flush', async t => {
		const s = scope(t, url);
		// Two identical flows, as an application using failParentOnFailure makes them: one child fails
		// (so the parent fails), the other child has not run yet (nobody works the notices queue).
		const flows = new FlowProducer({connection: s.client, prefix: s.prefix});
		t.after(async () => flows.close());
		const trees = await Promise.all([1, 2].map(async batch => flows.add({
			name: 'loan.batch',
			queueName: 'batches',
			data: {batch},
			children: [
				{name: 'loan.approved', queueName: 'loans', data: {batch, loanId: batch}, opts: {attempts: 1, failParentOnFailure: true}},
				{name: 'member.notify', queueName: 'notices', data: {batch, member: `M-${batch}`}},
			],
		})));
		const loans = new Worker('loans', async () => {
			throw new Error('core banking timeout');
		}, {connection: {url}, prefix: s.prefix, concurrency: 5});
		const batches = new Worker('batches', async () => 'unreachable: a parent with a failed child fails before it runs', {connection: {url}, prefix: s.prefix});
		t.after(async () => Promise.all([loans.close(), batches.close()]));
		await waitFor(async () => (await s.queue('batches').getFailedCount()) === 2, 'both parents to fail because of their failed child', 15_000);
		await Promise.all([loans.close(), batches.close()]);
		const childOf = (tree: (typeof trees)[number], queue: string) => tree.children!.find(node => node.job.queueName === queue)!.job.id!;
		const [archived, flushed] = trees.map(tree => ({parent: tree.job.id!, failedChild: childOf(tree, 'loans'), pendingChild: childOf(tree, 'notices')}));
		for (const flow of [archived, flushed]) {
			assert.equal(await (await s.queue('loans').getJob(flow!.failedChild))!.getState(), 'failed');
			assert.equal(await (await s.queue('notices').getJob(flow!.pendingChild))!.getState(), 'waiting');
		}

		// flush (BullMQ's clean) of one parent (the older failure), archive of the other.
		await ageFailures(s.client, s.prefix, 'batches', [flushed!.parent], 2 * 3_600_000);
		const flush = await s.cli(['flush', '--queue', 'batches', '--older-than', '1h', '--yes', '--json']);
		assert.equal(parseJson(flush).count, 1, describeResult(flush));
		const file = archivePath(s.prefix, 'parents');
		const result = await s.cli(['archive', '--older-than', '0s', '--queue', 'batches', '--to', file, '--yes', '--json']);
		assert.equal(result.code, 0, describeResult(result));
		assert.equal(parseJson(result).count, 1);
		assert.deepEqual(readArchive(file).map(record => record['id']), [archived!.parent], 'only the parent is in the archive file');

		const survivors = async (flow: typeof archived) => ({
			failedChild: await (await s.queue('loans').getJob(flow!.failedChild))?.getState() ?? 'deleted',
			pendingChild: await (await s.queue('notices').getJob(flow!.pendingChild))?.getState() ?? 'deleted',
		});
		assert.deepEqual(await survivors(flushed), {failedChild: 'failed', pendingChild: 'waiting'}, 'flush removes the failed parent only');
		assert.deepEqual(await survivors(archived), {failedChild: 'failed', pendingChild: 'waiting'},
			'archive must not delete jobs it did not archive: the failed child (another queue) and the child that has not run yet');
	});

	it('an archive file appended to twice (a restored job failed and was archived again) restores each job once and counts it once', async t => {
		const s = scope(t, url);
		const made = await makeFailedJobs({url, prefix: s.prefix, queue: QUEUE, count: 3, data: dataOf});
		const file = archivePath(s.prefix, 'appended');
		const first = await s.cli(['archive', '--older-than', '0s', '--queue', QUEUE, '--to', file, '--yes', '--json']);
		assert.equal(parseJson(first).count, 3, describeResult(first));
		const restored = await s.cli(['restore', file, '--json']);
		assert.equal(parseJson(restored).count, 3, describeResult(restored));

		// The restored jobs fail again and the day's second archive run appends them to the same file.
		const worker = new Worker(QUEUE, async () => {
			throw new Error('core banking still down');
		}, {connection: {url}, prefix: s.prefix, concurrency: 5});
		t.after(async () => worker.close());
		await waitFor(async () => (await s.queue(QUEUE).getFailedCount()) === 3, 'the restored jobs to fail again', 15_000);
		await worker.close();
		const second = await s.cli(['archive', '--older-than', '0s', '--queue', QUEUE, '--to', file, '--yes', '--json']);
		assert.equal(parseJson(second).count, 3, describeResult(second));
		assert.equal(readArchive(file).length, 6, 'the file now holds both archive runs');

		const again = await s.cli(['restore', file, '--json']);
		assert.equal(again.code, 0, describeResult(again));
		const counts = await s.queue(QUEUE).getJobCounts('waiting', 'prioritized', 'failed');
		assert.deepEqual(counts, {waiting: 3, prioritized: 0, failed: 0}, 'each job comes back once');
		for (const job of made.jobs) assert.deepEqual((await s.queue(QUEUE).getJob(`restored-${job.id}`))?.data, dataOf(job.index));
		assert.equal(parseJson(again).count, 3, `restore reports the jobs it added: ${again.stdout.trim()}`);
	});

	it('restore validates the whole file first: a bad line adds no job at all (exit 2); a missing file is exit 2', async t => {
		const s = scope(t, url);
		await makeFailedJobs({url, prefix: s.prefix, queue: QUEUE, count: 4});
		const file = archivePath(s.prefix, 'bad');
		const archived = await s.cli(['archive', '--older-than', '0s', '--queue', QUEUE, '--to', file, '--yes']);
		assert.equal(archived.code, 0, describeResult(archived));
		appendFileSync(file, '{"truncated": \n');
		const result = await s.cli(['restore', file, '--json']);
		assert.equal(result.code, 2, describeResult(result));
		assert.match(parseJson(result).error?.message ?? '', /:5:/, 'the error names the bad line');
		assert.deepEqual(await s.queue(QUEUE).getJobCounts('waiting', 'prioritized'), {waiting: 0, prioritized: 0});
		const missing = await s.cli(['restore', `${file}.missing`]);
		assert.equal(missing.code, 2, describeResult(missing));
	});
});
