/**
 * The worker's job metrics (source/runtime/metrics-recorder.ts) fed by the
 * job runner on real BullMQ jobs in a real Redis: what lands in the minute
 * and hour hashes agrees with BullMQ's own completed and failed sets and
 * with each job's processedOn − (timestamp + delay); keys expire on their
 * own; job names are bounded and cleaned; a flush refused by Redis (out of
 * memory) loses nothing and is said once; the worker process flushes at a
 * graceful stop.
 */
import {after, before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {randomUUID} from 'node:crypto';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import os from 'node:os';
import path from 'node:path';
import {pathToFileURL} from 'node:url';
import {Queue, Worker as BullWorker, type JobsOptions} from 'bullmq';
import {Redis} from 'ioredis';
import {JobRunner, type Counters} from '../../source/runtime/job-runner.js';
import {DEFAULT_METRICS, IDLE_STAMP_EVERY_MS, MetricsRecorder} from '../../source/runtime/metrics-recorder.js';
import {Active, type Plan} from '../../source/runtime/worker-plans.js';
import {bucketOf, hourStamp, minuteOf, minuteStamp, parseField} from '../../source/common/histogram.js';
import {deletePrefix, keysUnder, waitFor} from '../helpers/keyspace.js';
import {captureLogger} from '../helpers/log-capture.js';
import {startRedisServer, testRedisUrl, type RedisServer} from '../helpers/redis-server.js';
import {FAST, useSandboxes} from '../helpers/worker-process.js';

const modules = {
	ok: 'export default async () => "ok";',
	fail: 'export default async () => { throw new Error("planned failure"); };',
	slow: 'export default async () => { await new Promise(resolve => setTimeout(resolve, 40)); return "slow"; };',
	// Runs 40 ms, then stalls Redis (every client) for 300 ms before its outcome is written: job.data.url is the Redis.
	stall: `import ioredis from ${JSON.stringify(pathToFileURL(createRequire(import.meta.url).resolve('ioredis')).href)};
export default async job => {
	await new Promise(resolve => setTimeout(resolve, 40));
	const redis = new ioredis.Redis(job.data.url);
	await redis.call('CLIENT', 'PAUSE', '300', 'ALL');
	redis.disconnect();
	if (job.data.fail) throw new Error('planned failure');
	return 'stalled';
};`,
};

type Totals = Map<string, number>;

/** Sums every hash of a queue's minute (`m`) or hour (`h`) keys, field by field. */
async function totals(client: Redis, prefix: string, queue: string, kind: 'm' | 'h'): Promise<Totals> {
	const sum: Totals = new Map();
	for (const key of await keysUnder(client, `${prefix}:saccos-queue:metrics:${queue}:${kind}`)) {
		for (const [field, value] of Object.entries(await client.hgetall(key))) sum.set(field, (sum.get(field) ?? 0) + Number(value));
	}
	return sum;
}

/** The sum of one kind of field (`c`, `f`, `r`, `ms`, `h`, `w`) over every name, or of one name. */
function sumOf(fields: Totals, kind: string, name?: string): number {
	let total = 0;
	for (const [field, value] of fields) {
		const parsed = parseField(field);
		if (parsed && parsed.kind === kind && (name === undefined || parsed.name === name)) total += value;
	}
	return total;
}

/**
 * The runtimes recorded for `name`, each a 40 ms sleep, lie between that sleep and BullMQ's finishedOn − processedOn
 * of the same jobs: the runner starts its clock after BullMQ's processedOn and stops it before BullMQ's finishedOn.
 * (A timer may fire up to a millisecond early, so the sleep counts as 39 ms.)
 */
function assertRuntimesWithin(fields: Totals, name: string, jobs: Array<{finishedOn?: number; processedOn?: number}>): void {
	const bullmq = jobs.map(job => job.finishedOn! - job.processedOn!);
	const buckets = [...histogramOf(fields, 'h', name).keys()];
	assert.equal(sumOf(fields, 'h', name), jobs.length, `one runtime per ${name} job`);
	for (const bucket of buckets) {
		assert.ok(bucket >= bucketOf(39) && bucket <= bucketOf(Math.max(...bullmq)), `runtime bucket ${bucket} vs BullMQ's ${bullmq.join(', ')} ms`);
	}
	const total = sumOf(fields, 'ms', name);
	assert.ok(total >= jobs.length * 39 && total <= bullmq.reduce((sum, ms) => sum + ms, 0), `runtime total ${total} ms vs BullMQ's ${bullmq.join(' + ')} ms`);
}

/** bucket → count of one histogram kind (`h` or `w`) of one name. */
function histogramOf(fields: Totals, kind: 'h' | 'w', name: string): Map<number, number> {
	const histogram = new Map<number, number>();
	for (const [field, value] of fields) {
		const parsed = parseField(field);
		if (parsed?.kind === kind && parsed.name === name) histogram.set(parsed.bucket, value);
	}
	return histogram;
}

describe('job metrics recorded by the worker', () => {
	const url = testRedisUrl();
	const prefix = `test-metrics-${randomUUID().slice(0, 8)}`;
	const dir = mkdtempSync(path.join(process.env['SACCOS_TEST_TMPDIR'] || os.tmpdir(), 'saccos-metrics-'));
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
	/** A fresh queue with `jobs` added and a runner recording into a recorder; `drain` runs every job (retries included). */
	const setup = async (jobs: Array<{name: string; data?: Record<string, unknown>; opts?: JobsOptions}>, connection: Redis = client) => {
		const name = `q${++queues}`;
		const queue = new Queue(name, {connection, prefix});
		const worker = new BullWorker(name, null, {connection, prefix, autorun: false});
		opened.push(worker, queue);
		for (const job of jobs) await queue.add(job.name, job.data ?? {}, job.opts ?? {});
		const plan: Plan = {queue: name, worker, timeoutSeconds: 30, isolation: 'none', inProcess: true, tries: 1, backoff: undefined, chains: false};
		const log = captureLogger();
		const recorder = new MetricsRecorder(connection, prefix, DEFAULT_METRICS, log);
		const counters: Counters = {processed: 0, failed: 0};
		const runner = new JobRunner({processors: files, mayChain: () => false, metrics: recorder}, counters, log);
		const drain = async () => {
			let attempts = 0;
			for (let job = await worker.getNextJob('t1', {block: false}); job; job = await worker.getNextJob('t1', {block: false})) {
				await runner.run(new Active(job, plan, 't1'));
				attempts++;
			}
			return attempts;
		};
		return {queue, recorder, drain, log, name};
	};

	it('counts completed, failed and retried jobs as BullMQ\'s sets hold them, in the minute and the hour hashes alike', async () => {
		const jobs = [
			...Array.from({length: 7}, () => ({name: 'ok'})),
			...Array.from({length: 3}, () => ({name: 'slow'})),
			// 2 attempts each: the first is retried, the second fails for good.
			...Array.from({length: 2}, () => ({name: 'fail', opts: {attempts: 2}})),
		];
		const {queue, recorder, drain, name} = await setup(jobs);
		const attempts = await drain();
		await recorder.flush();
		const minutes = await totals(client, prefix, name, 'm');
		const hours = await totals(client, prefix, name, 'h');
		assert.deepEqual(new Map([...hours].sort()), new Map([...minutes].sort()), 'the hour rollup differs from its minutes');
		const completed = await queue.getCompleted(0, 100);
		const failed = await queue.getFailed(0, 100);
		assert.equal(completed.length, 10);
		assert.equal(sumOf(minutes, 'c'), completed.length);
		assert.equal(sumOf(minutes, 'c', 'slow'), completed.filter(job => job.name === 'slow').length);
		assert.equal(sumOf(minutes, 'f'), failed.length);
		assert.equal(sumOf(minutes, 'f', 'fail'), 2);
		assert.equal(sumOf(minutes, 'r', 'fail'), 2, 'the first attempts of the failing jobs were retried');
		assert.equal(sumOf(minutes, 'h'), attempts, 'one runtime per attempt');
		// Runtime: BullMQ's finishedOn − processedOn of the slow jobs is the same 40 ms sleep, within a bucket.
		assertRuntimesWithin(minutes, 'slow', completed.filter(job => job.name === 'slow'));
	});

	it('measures wait from when a job became due (timestamp + delay) to its first start, as the job hashes say', async () => {
		const now = Date.now();
		const {queue, recorder, drain, name} = await setup([
			{name: 'ok', opts: {timestamp: now - 5000}},
			// Created 60 s ago with a 50 s delay: due 10 s ago, not 60.
			{name: 'ok', opts: {timestamp: now - 60_000, delay: 50_000}},
			{name: 'ok'},
			{name: 'fail', opts: {attempts: 2, timestamp: now - 2000}},
		]);
		await drain();
		await recorder.flush();
		const fields = await totals(client, prefix, name, 'm');
		// Independently: processedOn − (timestamp + opts.delay) of each first start, from Redis.
		const expected = new Map<number, number>();
		for (const job of [...(await queue.getCompleted(0, 10)), ...(await queue.getFailed(0, 10))]) {
			if (job.name !== 'ok') continue;
			const bucket = bucketOf(job.processedOn! - (job.timestamp + (job.opts.delay ?? 0)));
			expected.set(bucket, (expected.get(bucket) ?? 0) + 1);
		}
		assert.deepEqual(histogramOf(fields, 'w', 'ok'), expected);
		const delayedBucket = bucketOf(10_000);
		assert.ok([...expected.keys()].some(bucket => Math.abs(bucket - delayedBucket) <= 1), 'the delayed job waited ~10 s');
		assert.ok(![...expected.keys()].some(bucket => bucket > bucketOf(20_000)), 'a wait counted from creation, not from the due time');
		// The failing job's retry is not a first start: one wait, two attempts.
		assert.equal(sumOf(fields, 'w', 'fail'), 1);
		assert.equal(sumOf(fields, 'h', 'fail'), 2);
	});

	it('minute and hour hashes expire on their own: 24 h after their minute, 7 days after their hour', async () => {
		const {recorder, drain, name} = await setup([{name: 'ok'}]);
		const before = Date.now();
		await drain();
		await recorder.flush();
		const [minuteKey] = await keysUnder(client, `${prefix}:saccos-queue:metrics:${name}:m`);
		const [hourKey] = await keysUnder(client, `${prefix}:saccos-queue:metrics:${name}:h`);
		assert.ok(minuteKey && hourKey, 'no metric keys');
		const minute = minuteOf(before);
		// The job finished in this minute or the next one.
		assert.ok([minuteStamp(minute), minuteStamp(minute + 1)].some(stamp => minuteKey.endsWith(`:m:${stamp}`)), minuteKey);
		const stamp = minuteKey.slice(-12);
		const start = Date.UTC(Number(stamp.slice(0, 4)), Number(stamp.slice(4, 6)) - 1, Number(stamp.slice(6, 8)), Number(stamp.slice(8, 10)), Number(stamp.slice(10, 12)));
		assert.equal(await client.pexpiretime(minuteKey), start + 60_000 + 24 * 3_600_000);
		assert.ok(hourKey.endsWith(`:h:${hourStamp(Math.floor(start / 3_600_000))}`), hourKey);
		assert.equal(await client.pexpiretime(hourKey), Math.floor(start / 3_600_000) * 3_600_000 + 3_600_000 + 7 * 24 * 3_600_000);
	});

	it('job names are cleaned and bounded: no control characters or "|", at most 80 characters, past the cap "(other)"', async () => {
		const log = captureLogger();
		const recorder = new MetricsRecorder(client, prefix, {...DEFAULT_METRICS, maxNames: 3}, log);
		const queue = `names${randomUUID().slice(0, 4)}`;
		const hostile = 'report\x1b[31m|red\u202e';
		for (const name of ['a', hostile, 'x'.repeat(500), 'b', 'c', 'a']) recorder.record(queue, name, 'completed', 5, 5);
		await recorder.flush();
		const fields = await totals(client, prefix, queue, 'm');
		const names = new Set([...fields.keys()].map(field => parseField(field)!.name));
		assert.deepEqual([...names].sort(), ['(other)', 'a', 'report?[31m/red?', 'x'.repeat(80)].sort());
		assert.equal(sumOf(fields, 'c', '(other)'), 2, 'b and c are past the cap of 3 names');
		assert.equal(sumOf(fields, 'c', 'a'), 2);
	});

	it('keeps all-time totals per name that only grow (hour expiry or not), with the wait total, and stamps the flush time', async () => {
		const {queue, recorder, drain, name} = await setup([
			...Array.from({length: 4}, () => ({name: 'ok'})),
			{name: 'fail', opts: {attempts: 2}},
		]);
		const before = Date.now();
		await drain();
		await recorder.flush();
		const totalKey = `${prefix}:saccos-queue:metrics:${name}:total`;
		const flushedKey = `${prefix}:saccos-queue:metrics-flushed`;
		const read = async () => {
			const fields: Totals = new Map();
			for (const [field, value] of Object.entries(await client.hgetall(totalKey))) fields.set(field, Number(value));
			return fields;
		};
		const first = await read();
		const minutes = await totals(client, prefix, name, 'm');
		// The same fields as the minutes, plus the wait total.
		assert.deepEqual(new Map([...first].filter(([field]) => !field.endsWith('|wms')).sort()), new Map([...minutes].sort()));
		assert.equal(sumOf(first, 'c', 'ok'), await queue.getCompletedCount());
		assert.equal(sumOf(first, 'f', 'fail'), 1);
		assert.equal(sumOf(first, 'r', 'fail'), 1);
		// The wait total is the sum of processedOn − (timestamp + delay) of each first start, as BullMQ holds them. Only
		// for the jobs that ran once: a retried job's processedOn is its last start, and its wait was its first.
		const jobs = await queue.getCompleted(0, 10);
		const waits = jobs.map(job => Math.max(0, (job.processedOn ?? 0) - (job.timestamp + (job.opts.delay ?? 0))));
		assert.ok(Math.abs(sumOf(first, 'wms', 'ok') - waits.reduce((sum, ms) => sum + ms, 0)) <= jobs.length, `wms ${sumOf(first, 'wms', 'ok')} vs ${waits.join('+')}`);
		// Lives the hour retention after the last flush; the flush time too.
		const ttl = await client.pttl(totalKey);
		assert.ok(ttl > DEFAULT_METRICS.hourRetentionMs - 60_000 && ttl <= DEFAULT_METRICS.hourRetentionMs, `PTTL ${ttl}`);
		const flushed = Number(await client.get(flushedKey));
		assert.ok(flushed >= before && flushed <= Date.now(), `flushed at ${flushed}`);
		// The minute and hour hashes expire (deleted here, as expiry would): the totals stay, and grow.
		for (const key of [...(await keysUnder(client, `${prefix}:saccos-queue:metrics:${name}:m`)), ...(await keysUnder(client, `${prefix}:saccos-queue:metrics:${name}:h`))]) await client.del(key);
		recorder.record(name, 'ok', 'completed', 5, 7);
		await recorder.flush();
		const second = await read();
		assert.equal(sumOf(second, 'c', 'ok'), sumOf(first, 'c', 'ok') + 1);
		assert.equal(sumOf(second, 'wms', 'ok'), sumOf(first, 'wms', 'ok') + 7);
		for (const [field, value] of first) assert.ok((second.get(field) ?? 0) >= value, `${field} went down: ${value} → ${second.get(field)}`);
	});

	it('an idle recorder stamps the flush time at most once a minute, and writes nothing else', async () => {
		const idlePrefix = `${prefix}-idle`;
		const recorder = new MetricsRecorder(client, idlePrefix, DEFAULT_METRICS, captureLogger());
		await recorder.flush();
		const stamp = await client.get(`${idlePrefix}:saccos-queue:metrics-flushed`);
		assert.ok(stamp !== null && Number(stamp) <= Date.now());
		await recorder.flush();
		assert.equal(await client.get(`${idlePrefix}:saccos-queue:metrics-flushed`), stamp, `stamped again within ${IDLE_STAMP_EVERY_MS} ms`);
		assert.deepEqual(await keysUnder(client, idlePrefix), [`${idlePrefix}:saccos-queue:metrics-flushed`]);
		await client.del(`${idlePrefix}:saccos-queue:metrics-flushed`);
	});

	describe('when Redis refuses the flush', () => {
		let server: RedisServer;
		let admin: Redis;
		before(async () => {
			server = await startRedisServer({args: ['--maxmemory-policy', 'noeviction']});
			admin = new Redis(server.url);
		});
		after(async () => {
			admin?.disconnect();
			await server?.stop();
		});

		it('keeps counting, says so once, and sends everything once Redis takes writes again', async () => {
			const log = captureLogger();
			const recorder = new MetricsRecorder(admin, 'oom', DEFAULT_METRICS, log);
			for (let index = 0; index < 5; index++) recorder.record('emails', 'send', 'completed', 10, 10);
			await admin.config('SET', 'maxmemory', '1');
			await recorder.flush();
			for (let index = 0; index < 3; index++) recorder.record('emails', 'send', 'failed', 10, 10);
			await recorder.flush();
			assert.equal(log.find('metrics flush failed; counting on and retrying').length, 1, 'said once');
			assert.match(String(log.find('metrics flush failed; counting on and retrying')[0]?.fields['err']), /OOM|EXECABORT/);
			assert.deepEqual(await keysUnder(admin, 'oom'), [], 'nothing was written while out of memory');
			await admin.config('SET', 'maxmemory', '0');
			await recorder.flush();
			const fields = await totals(admin, 'oom', 'emails', 'm');
			assert.equal(sumOf(fields, 'c', 'send'), 5);
			assert.equal(sumOf(fields, 'f', 'send'), 3);
			assert.equal(sumOf(await totals(admin, 'oom', 'emails', 'h'), 'c', 'send'), 5);
			assert.equal(log.find('metrics flush restored').length, 1);
		});

		it('keeps at most maxPendingMinutes minutes while it cannot flush: the oldest are dropped, and the count said', async () => {
			const log = captureLogger();
			const recorder = new MetricsRecorder(admin, 'bounded', {...DEFAULT_METRICS, maxPendingMinutes: 3}, log);
			const now = Date.now();
			await admin.config('SET', 'maxmemory', '1');
			// 5 minutes of counts, 2 jobs in each, one failed flush after each minute.
			for (let minute = 4; minute >= 0; minute--) {
				recorder.record('sms', 'send', 'completed', 10, 10, now - minute * 60_000);
				recorder.record('sms', 'send', 'completed', 10, 10, now - minute * 60_000);
				await recorder.flush();
			}
			await admin.config('SET', 'maxmemory', '0');
			await recorder.flush();
			const minutes = await keysUnder(admin, 'bounded:saccos-queue:metrics:sms:m');
			assert.deepEqual(minutes.map(key => key.slice(-12)), [2, 1, 0].map(ago => minuteStamp(minuteOf(now - ago * 60_000))));
			assert.equal(sumOf(await totals(admin, 'bounded', 'sms', 'm'), 'c'), 6);
			assert.equal(log.find('metrics flush restored')[0]?.fields['dropped'], 4);
		});
	});

	describe('when Redis stalls while a job\'s outcome is written', () => {
		let server: RedisServer;
		let stalled: Redis;
		let ours = 0;
		before(async () => {
			server = await startRedisServer();
			stalled = new Redis(server.url, {maxRetriesPerRequest: null});
			ours = opened.length;
		});
		after(async () => {
			// This describe's queue and worker, before their Redis goes.
			for (const closable of opened.splice(ours)) await closable.close(true).catch(() => undefined);
			stalled?.disconnect();
			await server?.stop();
		});

		it('a job\'s runtime is its processor\'s time: a Redis that takes 300 ms to save the outcome adds nothing to it', async () => {
			// Each job runs 40 ms, then pauses every client of the Redis for 300 ms, so moving it to completed or failed
			// waits that long. The runtime (metrics and the log's durationMs) ends at the processor's outcome, as
			// BullMQ's finishedOn does.
			const {queue, recorder, drain, log, name} = await setup([
				{name: 'stall', data: {url: server.url}},
				{name: 'stall', data: {url: server.url, fail: true}},
			], stalled);
			await drain();
			await recorder.flush();
			const fields = await totals(stalled, prefix, name, 'm');
			assert.equal(sumOf(fields, 'c', 'stall'), 1);
			assert.equal(sumOf(fields, 'f', 'stall'), 1);
			assertRuntimesWithin(fields, 'stall', [...(await queue.getCompleted(0, 10)), ...(await queue.getFailed(0, 10))]);
			assert.ok(sumOf(fields, 'ms', 'stall') < 2 * 300, `runtime total ${sumOf(fields, 'ms', 'stall')} ms holds Redis's stall`);
			for (const message of ['job completed', 'job failed']) {
				const durationMs = Number(log.find(message)[0]?.fields['durationMs']);
				assert.ok(durationMs >= 39 && durationMs < 300, `${message}: durationMs ${durationMs}`);
			}
		});
	});

	describe('the worker process', () => {
		const open = useSandboxes(url);

		it('records BullMQ\'s own per-minute metrics too, and flushes its counts when it stops gracefully', async () => {
			const box = open('metrics');
			// A flush interval of 60 s: what reaches Redis before it comes from the stop's flush.
			const config = box.writeConfig({queues: {emails: {timeout: 30}}, processors: {ok: files['ok']}, metrics: {flushInterval: '60s'}});
			for (let index = 0; index < 20; index++) await box.queue('emails').add('ok', {});
			const worker = box.worker(config, ['--queue', 'emails', ...FAST]);
			const queue = box.queue('emails');
			await waitFor(async () => (await queue.getCompletedCount()) === 20, 'the 20 jobs to complete', 30_000);
			const bullmq = await queue.getMetrics('completed');
			assert.equal(bullmq.meta.count, 20, 'BullMQ\'s own metrics count the jobs');
			worker.signal('SIGTERM');
			assert.equal((await worker.waitForExit(15_000)).code, 0, worker.describe());
			const fields = await totals(box.client(), box.prefix, 'emails', 'm');
			assert.equal(sumOf(fields, 'c', 'ok'), 20, worker.describe());
			assert.equal(sumOf(fields, 'w', 'ok'), 20);
		});
	});
});
