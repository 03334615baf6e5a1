/**
 * The job runner (source/runtime/job-runner.ts) on real BullMQ jobs in a real
 * Redis, without a worker process: results and their log line, the queue's
 * tries and backoff for jobs that set none, a missing processor and invalid
 * data (no retries), the deadline (ctx.signal fires, the job fails "timed
 * out"), a job given back at the stop deadline, chaining, --log-data; and
 * Timeouts' deadline check and watchdog notes.
 */
import {after, before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {randomUUID} from 'node:crypto';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {Queue, Worker as BullWorker, type JobsOptions} from 'bullmq';
import {Redis} from 'ioredis';
import {dataForLog, JobRunner, killAt, Timeouts, type Counters} from '../../source/runtime/job-runner.js';
import type {Watchdog} from '../../source/runtime/watchdog.js';
import {Active, type Plan} from '../../source/runtime/worker-plans.js';
import {deletePrefix, waitFor} from '../helpers/keyspace.js';
import {captureLogger} from '../helpers/log-capture.js';
import {testRedisUrl} from '../helpers/redis-server.js';
import {jobView, processors} from '../helpers/worker-process.js';

/** Processor modules for these tests, written to a temp dir. */
const modules = {
	ok: 'export default async job => ({echo: job.data.value ?? null});',
	fail: 'export default async () => { throw new Error("planned failure"); };',
	// Never settles; says (through globalThis) when its ctx.signal fires, and why.
	never: 'export default (job, ctx) => { ctx.signal.addEventListener("abort", () => { globalThis.aborted = String(ctx.signal.reason?.message); }); return new Promise(() => {}); };',
	// Settles when the test says so (globalThis.release()).
	held: 'export default () => new Promise(resolve => { globalThis.release = resolve; });',
};

describe('job runner', () => {
	const url = testRedisUrl();
	const prefix = `test-runner-${randomUUID().slice(0, 8)}`;
	const dir = mkdtempSync(path.join(process.env['SACCOS_TEST_TMPDIR'] || os.tmpdir(), 'saccos-runner-'));
	const client = new Redis(url, {maxRetriesPerRequest: null});
	client.on('error', () => {});
	const opened: Array<{close(force?: boolean): Promise<void>}> = [];
	const files: Record<string, string> = {};
	before(() => {
		for (const [name, source] of Object.entries(modules)) {
			files[name] = path.join(dir, `${name}.mjs`);
			writeFileSync(files[name]!, source);
		}
	});
	after(async () => {
		for (const closable of opened) await closable.close(true).catch(() => undefined);
		await deletePrefix(url, prefix);
		client.disconnect();
		rmSync(dir, {recursive: true, force: true});
	});

	let queues = 0;
	/** A fresh queue with `jobs` added, its BullMQ Worker, the plan, and a runner over the test processors. */
	const setup = async (jobs: Array<{name?: string; data?: object; opts?: JobsOptions}>, plan: Partial<Plan> = {}, options: {logData?: boolean; mayChain?: boolean} = {}) => {
		const name = `q${++queues}`;
		const queue = new Queue(name, {connection: client, prefix});
		const worker = new BullWorker(name, null, {connection: client, prefix, autorun: false});
		opened.push(worker, queue);
		for (const job of jobs) await queue.add(job.name ?? 'ok', job.data ?? {}, job.opts ?? {});
		const fullPlan: Plan = {queue: name, worker, timeoutSeconds: 30, isolation: 'none', inProcess: true, tries: 3, backoff: undefined, chains: true, ...plan};
		const counters: Counters = {processed: 0, failed: 0};
		const log = captureLogger();
		const runner = new JobRunner({processors: {...files, validated: processors.validated}, logData: options.logData, mayChain: () => options.mayChain ?? false}, counters, log);
		const fetch = async (token = `t:${randomUUID().slice(0, 6)}`) => {
			const job = await worker.getNextJob(token, {block: false});
			assert.ok(job, 'no job to fetch');
			return new Active(job, fullPlan, token);
		};
		return {queue, runner, counters, log, fetch, plan: fullPlan};
	};

	it('completes a job with its result, logs "job completed" with the job fields, and counts it', async () => {
		const {queue, runner, counters, log, fetch} = await setup([{data: {value: 42}}]);
		const entry = await fetch();
		assert.equal(await runner.run(entry), undefined);
		const view = await jobView(queue, entry.job.id!);
		assert.equal(view?.state, 'completed');
		assert.deepEqual(view?.returnvalue, {echo: 42});
		const [line] = log.find('job completed');
		assert.equal(line?.level, 'info');
		assert.deepEqual(Object.keys(line!.fields), ['queue', 'jobId', 'jobName', 'attempt', 'durationMs']);
		assert.deepEqual({...line!.fields, durationMs: 0}, {queue: queue.name, jobId: entry.job.id, jobName: 'ok', attempt: 1, durationMs: 0});
		assert.deepEqual(counters, {processed: 1, failed: 0});
	});

	it('a job that sets no attempts gets the queue\'s tries (a failure is retried), and its backoff (the retry waits)', async () => {
		const {queue, runner, counters, log, fetch} = await setup([{name: 'fail'}], {tries: 3, backoff: {type: 'fixed', delay: 60_000}});
		const entry = await fetch();
		await runner.run(entry);
		const view = await jobView(queue, entry.job.id!);
		assert.equal(view?.state, 'delayed', 'the queue\'s backoff was not applied');
		assert.equal(view?.attemptsMade, 1);
		const [line] = log.find('job failed');
		assert.equal(line?.level, 'error');
		assert.equal(line?.fields['willRetry'], true);
		assert.equal(line?.fields['attempt'], 1);
		assert.equal(line?.fields['err'], 'planned failure');
		assert.equal(counters.failed, 0, 'a failure that will be retried is not a failed job');
	});

	it('a producer\'s own attempts win over the queue\'s tries: its last failure is final and counted', async () => {
		const {queue, runner, counters, log, fetch} = await setup([{name: 'fail', opts: {attempts: 1}}], {tries: 5});
		const entry = await fetch();
		await runner.run(entry);
		assert.equal((await jobView(queue, entry.job.id!))?.state, 'failed');
		assert.equal(log.find('job failed')[0]?.fields['willRetry'], false);
		assert.deepEqual(counters, {processed: 0, failed: 1});
	});

	it('a job with no processor, or data its schema rejects, fails at once without retries', async () => {
		const {queue, runner, counters, fetch} = await setup([{name: 'missing'}, {name: 'validated', data: {account: {number: '12'}, amount: 5}}], {tries: 3});
		const orphan = await fetch();
		await runner.run(orphan);
		const invalid = await fetch();
		await runner.run(invalid);
		const orphanView = await jobView(queue, orphan.job.id!);
		assert.equal(orphanView?.state, 'failed');
		assert.match(orphanView!.failedReason, /no processor for job "missing": add it to "processors" in the config/);
		const invalidView = await jobView(queue, invalid.job.id!);
		assert.equal(invalidView?.state, 'failed');
		assert.match(invalidView!.failedReason, /invalid job data at "account\.number"/);
		assert.deepEqual(counters, {processed: 0, failed: 2});
	});

	it('past its deadline a job fails "timed out" (an attempt), its ctx.signal fires, and the runner does not wait for the processor', async () => {
		const {queue, runner, log, fetch} = await setup([{name: 'never', opts: {attempts: 2}}], {timeoutSeconds: 0.2});
		const entry = await fetch();
		const timeouts = new Timeouts(() => [entry], [], () => assert.fail('no watchdog without an in-process plan'));
		try {
			await runner.run(entry);
		} finally {
			timeouts.stop();
		}
		assert.equal((globalThis as {aborted?: string}).aborted, 'job timed out after 0.2s');
		const view = await jobView(queue, entry.job.id!);
		assert.equal(view?.state, 'waiting');
		assert.equal(view?.attemptsMade, 1);
		const [line] = log.find('job timed out');
		assert.equal(line?.level, 'warn');
		assert.equal(line?.fields['willRetry'], true);
		assert.equal(line?.fields['err'], 'job timed out after 0.2s');
	});

	it('a job given back at the stop deadline (abandoned) is neither completed nor failed here, and not logged', async () => {
		const {queue, runner, counters, log, fetch} = await setup([{name: 'held'}]);
		const entry = await fetch();
		const running = runner.run(entry);
		await waitFor(() => typeof (globalThis as {release?: unknown}).release === 'function', 'the processor to start');
		entry.abandoned = true;
		await entry.job.moveToWait(entry.token);
		(globalThis as {release?: (value: unknown) => void}).release!('late result');
		assert.equal(await running, undefined);
		assert.equal((await jobView(queue, entry.job.id!))?.state, 'waiting');
		assert.deepEqual(log.lines, []);
		assert.deepEqual(counters, {processed: 0, failed: 0});
	});

	it('chains: a first-queue job hands over the next waiting job (same token) when it may; not when stopping or paused', async () => {
		const chained = await setup([{}, {}], {chains: true}, {mayChain: true});
		const first = await chained.fetch('tok:1');
		const next = await chained.runner.run(first);
		assert.ok(next, 'no job handed over');
		assert.equal(next.token, 'tok:1');
		assert.equal(next.plan, chained.plan);
		assert.equal(await chained.queue.getJobState(next.job.id!), 'active');
		const held = await setup([{}, {}], {chains: true}, {mayChain: false});
		assert.equal(await held.runner.run(await held.fetch()), undefined);
		assert.deepEqual(await held.queue.getJobCounts('waiting', 'completed'), {waiting: 1, completed: 1});
		const lower = await setup([{}, {}], {chains: false}, {mayChain: true});
		assert.equal(await lower.runner.run(await lower.fetch()), undefined, 'a job of a lower queue chained (priority would not hold)');
	});

	it('--log-data: the failure line carries the data as JSON, cut at 2 KB; without it, no data', async () => {
		const withData = await setup([{name: 'fail', data: {member: 'Amina'}, opts: {attempts: 1}}], {}, {logData: true});
		await withData.runner.run(await withData.fetch());
		assert.equal(withData.log.find('job failed')[0]?.fields['data'], '{"member":"Amina"}');
		const without = await setup([{name: 'fail', data: {member: 'Amina'}, opts: {attempts: 1}}]);
		await without.runner.run(await without.fetch());
		assert.equal('data' in without.log.find('job failed')[0]!.fields, false);
		assert.equal(dataForLog({text: 'x'.repeat(5000)}).length, 2000);
		assert.ok(dataForLog({text: 'x'.repeat(5000)}).endsWith('…'));
		assert.equal(dataForLog({big: 1n}), '(data that is not JSON)');
	});

	it('Timeouts: the watchdog learns of each in-process job as it starts, and of all of them on its timer', async () => {
		const notes: Array<[string, ...unknown[]]> = [];
		const watchdog: Watchdog = {add: (job, at) => notes.push(['add', job, at]), watch: (jobs, at) => notes.push(['watch', jobs, at]), stop: () => notes.push(['stop'])};
		const {fetch, plan} = await setup([{}, {}]);
		const inProcess = await fetch();
		const isolated = new Active((await fetch()).job, {...plan, isolation: 'thread', inProcess: false}, 'x');
		const timeouts = new Timeouts(() => [inProcess, isolated], [plan], () => watchdog);
		try {
			timeouts.started(inProcess);
			timeouts.started(isolated);
			assert.deepEqual(notes, [['add', inProcess.name, killAt(inProcess)]]);
			assert.equal(killAt(inProcess), inProcess.deadline + Math.max(5000, inProcess.deadline - inProcess.started));
			await waitFor(() => notes.some(note => note[0] === 'watch'), 'the watchdog timer');
			assert.deepEqual(notes.find(note => note[0] === 'watch'), ['watch', [inProcess.name], killAt(inProcess)]);
		} finally {
			timeouts.stop();
		}
		assert.deepEqual(notes.at(-1), ['stop']);
	});
});
