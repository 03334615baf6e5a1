/**
 * Reading the recorded metrics (source/data/metrics.ts) from hashes the
 * worker's recorder wrote in a real Redis: each window counts what was
 * recorded in it exactly once (minute hashes at its edges, hour hashes in
 * between, whole hours beyond 24 h), the rate now, the per-minute series;
 * and percentiles from the histograms against the exact percentiles of the
 * same durations.
 */
import {after, before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {randomUUID} from 'node:crypto';
import {Redis} from 'ioredis';
import {defaultConfig, loadConfig} from '../../source/config.js';
import {connect} from '../../source/data/connection.js';
import {createConsoleApi} from '../../source/store/console-api.js';
import {MinuteSeriesReader, OPEN_MINUTES, readQueueMetrics, REREAD_ALL_MS, windowKeys} from '../../source/data/metrics.js';
import {DEFAULT_METRICS, MetricsRecorder} from '../../source/runtime/metrics-recorder.js';
import {bucketOf, percentile} from '../../source/common/histogram.js';
import {commandCalls} from '../helpers/keyspace.js';
import {captureLogger} from '../helpers/log-capture.js';
import {startRedisServer, type RedisServer} from '../helpers/redis-server.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe('percentiles from the log-scale histogram', () => {
	it('fall within a factor of √2 of the exact percentiles of the same durations (and print how close)', () => {
		// 5,000 durations, log-uniform from 1 ms to 60 s, from a fixed seed.
		let seed = 42;
		const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
		const durations = Array.from({length: 5000}, () => Math.round(Math.exp(random() * Math.log(60_000))));
		const histogram = new Map<number, number>();
		for (const ms of durations) histogram.set(bucketOf(ms), (histogram.get(bucketOf(ms)) ?? 0) + 1);
		const sorted = [...durations].sort((a, b) => a - b);
		const errors: string[] = [];
		for (const q of [0.5, 0.9, 0.95, 0.99]) {
			const exact = sorted[Math.ceil(q * sorted.length) - 1]!;
			const estimate = percentile(histogram, q)!;
			const ratio = estimate / exact;
			errors.push(`p${q * 100} ${estimate} vs ${exact} (${((ratio - 1) * 100).toFixed(1)}%)`);
			assert.ok(ratio >= Math.SQRT1_2 && ratio <= Math.SQRT2, errors.at(-1));
		}
		console.log(`histogram percentiles: ${errors.join(', ')}`);
		assert.equal(percentile(new Map(), 0.5), null);
	});
});

describe('reading the recorded metrics', () => {
	// A redis-server of this describe's own: its INFO commandstats counts these tests' commands
	// alone, whatever other test files run meanwhile.
	let server: RedisServer | undefined;
	let url = '';
	let admin: Redis;
	const prefix = `test-read-${randomUUID().slice(0, 8)}`;
	before(async () => {
		server = await startRedisServer();
		url = server.url;
		admin = new Redis(url);
	});
	after(async () => {
		admin?.disconnect();
		await server?.stop();
	});

	it('counts each record once in every window: edges from minutes, whole hours from hours, beyond 24 h hours only', async () => {
		const now = Date.now();
		const recorder = new MetricsRecorder(admin, prefix, DEFAULT_METRICS, captureLogger());
		const record = (agoMs: number, outcome: 'completed' | 'failed' | 'retried', count: number, runMs = 20, name = 'send') => {
			for (let index = 0; index < count; index++) recorder.record('emails', name, outcome, runMs, 100, now - agoMs);
		};
		record(2 * MINUTE, 'completed', 3);
		record(2 * MINUTE, 'retried', 2, 200);
		record(90 * MINUTE, 'completed', 5, 20, 'report');
		record(90 * MINUTE, 'failed', 1, 20, 'report');
		record(125 * MINUTE, 'completed', 11);
		record(30 * HOUR, 'completed', 7);
		await recorder.flush();
		const connection = await connect({...defaultConfig(), redis: {kind: 'url', url}, prefix});
		try {
			const read = async (sinceMs: number, byName = false) => (await readQueueMetrics(connection, ['emails'], {sinceMs, byName, now})).queues[0]!;
			const hour = await read(HOUR);
			assert.deepEqual([hour.completed, hour.failed, hour.retried], [3, 0, 2]);
			assert.equal(hour.failureRate, 0);
			assert.equal(hour.perMinute, 0.6, '3 jobs finished in the last 5 complete minutes');
			assert.equal(hour.lastMinute, 0, 'none in the last complete minute');
			assert.ok(hour.runtime.p99! > 100, `the retried attempts' 200 ms are in the runtime: ${JSON.stringify(hour.runtime)}`);
			const two = await read(2 * HOUR, true);
			assert.deepEqual([two.completed, two.failed], [8, 1], 'the 90-minute-old jobs once, the 125-minute-old ones not');
			assert.equal(two.failureRate, Math.round((1 / 9) * 10_000) / 10_000);
			assert.deepEqual(two.names?.map(name => [name.name, name.completed, name.failed]), [['report', 5, 1], ['send', 3, 0]]);
			const day = await read(24 * HOUR);
			assert.deepEqual([day.completed, day.failed], [19, 1]);
			const week = await readQueueMetrics(connection, ['emails'], {sinceMs: 7 * 24 * HOUR, now});
			assert.equal(week.resolution, 'hour');
			assert.deepEqual([week.queues[0]!.completed, week.queues[0]!.failed], [26, 1], 'the 30-hour-old jobs from their hour hash (their minute hash has expired)');
			const none = (await readQueueMetrics(connection, ['never-used'], {sinceMs: HOUR, now})).queues[0]!;
			assert.deepEqual([none.completed, none.failureRate, none.runtime.p50, none.wait.p95], [0, null, null, null]);
		} finally {
			await connection.close();
		}
	});

	it('reads a bounded number of keys whatever the window: at most 118 minutes and 24 hours for a day', () => {
		const now = Date.UTC(2026, 10, 28, 10, 37, 12);
		const day = windowKeys('bull', 'emails', 24 * HOUR, now);
		assert.equal(day.keys.filter(key => key.includes(':h:')).length, 23);
		assert.equal(day.keys.filter(key => key.includes(':m:')).length, 60);
		assert.equal(day.from, now - (now % MINUTE) - 24 * HOUR + MINUTE);
		const week = windowKeys('bull', 'emails', 7 * 24 * HOUR, now);
		assert.deepEqual([week.keys.length, week.resolution], [169, 'hour']);
		assert.deepEqual(windowKeys('bull', 'emails', 15 * MINUTE, now).keys.length, 15);
	});

	it('gives completed and failed per minute for a sparkline, in one round trip', async () => {
		const now = Date.now();
		const recorder = new MetricsRecorder(admin, prefix, DEFAULT_METRICS, captureLogger());
		for (const [ago, outcome] of [[0, 'completed'], [0, 'failed'], [3, 'completed'], [3, 'completed'], [59, 'failed']] as const) recorder.record('sms', 'send', outcome, 5, 5, now - ago * MINUTE);
		await recorder.flush();
		const connection = await connect({...defaultConfig(), redis: {kind: 'url', url}, prefix});
		try {
			const before = await commandCalls(admin);
			const series = (await new MinuteSeriesReader(connection).read(['sms'], 60, now))[0]!;
			assert.equal((await commandCalls(admin)) - before, 60 + 1, '60 HGETALLs (and the measuring INFO)');
			assert.equal(series.minutes.length, 60);
			assert.equal(series.minutes.at(-1), Math.floor(now / MINUTE) * MINUTE);
			assert.deepEqual([series.completed.at(-1), series.failed.at(-1), series.completed.at(-4), series.failed[0]], [1, 1, 2, 1]);
			assert.equal(series.completed.reduce((a, b) => a + b, 0), 3);
		} finally {
			await connection.close();
		}
	});

	it('polls a series by reading again only the minutes that can still change, and every minute every 10 minutes', async () => {
		// A minute boundary crossed between recording and reading would move every index: pin the clock.
		const now = Math.floor(Date.now() / MINUTE) * MINUTE + 30_000;
		const recorder = new MetricsRecorder(admin, prefix, DEFAULT_METRICS, captureLogger());
		const record = async (queue: string, ago: number, outcome: 'completed' | 'failed') => {
			recorder.record(queue, 'send', outcome, 5, 5, now - ago * MINUTE);
			await recorder.flush();
		};
		await record('poll-a', 0, 'completed');
		await record('poll-a', 5, 'failed');
		await record('poll-b', 30, 'completed');
		const connection = await connect({...defaultConfig(), redis: {kind: 'url', url}, prefix});
		const reader = new MinuteSeriesReader(connection);
		const hgetalls = async (at: number) => {
			const before = await commandCalls(admin);
			const series = await reader.read(['poll-a', 'poll-b'], 60, at);
			return {calls: (await commandCalls(admin)) - before - 1, series};
		};
		const sums = (series: Array<{completed: number[]; failed: number[]}>) => series.map(({completed, failed}) => [completed.reduce((a, b) => a + b, 0), failed.reduce((a, b) => a + b, 0)]);
		try {
			const first = await hgetalls(now);
			assert.equal(first.calls, 120, 'the first read takes every minute of both windows');
			assert.deepEqual(sums(first.series), [[1, 1], [1, 0]]);
			assert.deepEqual(first.series, await new MinuteSeriesReader(connection).read(['poll-a'], 60, now).then(([one]) => [one, first.series[1]]));

			const again = await hgetalls(now + 15_000);
			assert.equal(again.calls, 2 * OPEN_MINUTES, 'a poll reads only the open minutes');
			assert.deepEqual(again.series, first.series);

			await record('poll-a', 0, 'completed');
			await record('poll-b', 1, 'failed');
			const open = await hgetalls(now + 20_000);
			assert.equal(open.calls, 2 * OPEN_MINUTES);
			assert.deepEqual(sums(open.series), [[2, 1], [1, 1]], 'what the open minutes gained is shown');
			assert.equal(open.series[0]!.completed.at(-1), 2);

			const next = await hgetalls(now + MINUTE);
			assert.equal(next.calls, 2 * OPEN_MINUTES, 'a new minute: it and the two before it');
			assert.equal(next.series[0]!.minutes.at(-1), now - 30_000 + MINUTE);
			assert.deepEqual(sums(next.series), [[2, 1], [1, 1]]);

			// A write into a closed minute (a worker that kept its counts through an outage) waits for the reread.
			await record('poll-b', 20, 'failed');
			assert.deepEqual(sums((await hgetalls(now + MINUTE)).series), [[2, 1], [1, 1]]);
			const full = await hgetalls(now + REREAD_ALL_MS);
			assert.equal(full.calls, 120, 'every minute of both windows again after REREAD_ALL_MS');
			assert.deepEqual(sums(full.series), [[2, 1], [1, 2]]);
		} finally {
			await connection.close();
		}
	});
	it("the metrics view's chart and the queues view's sparklines share one reader: after the first poll, only the open minutes", async () => {
		const now = Date.now();
		const recorder = new MetricsRecorder(admin, prefix, DEFAULT_METRICS, captureLogger());
		for (const ago of [0, 2, 40]) recorder.record('chart', 'send', 'completed', 5, 5, now - ago * MINUTE);
		recorder.record('chart', 'send', 'failed', 5, 5, now - 10 * MINUTE);
		await recorder.flush();
		const config = await loadConfig({redis: url, prefix}, {});
		const connection = await connect(config, 'console');
		const api = createConsoleApi({connection, config, openController: async () => Promise.reject(new Error('no process backend in this test'))});
		try {
			const {metrics, series} = await api.queueMetrics('chart', HOUR);
			assert.equal(metrics?.completed, 3);
			assert.deepEqual([series.minutes.length, series.completed.reduce((a, b) => a + b, 0), series.failed.reduce((a, b) => a + b, 0)], [60, 3, 1]);
			// The queues view, back from the metrics view, polls the same queue's minutes.
			const before = await commandCalls(admin);
			const [again] = await api.minuteSeries(['chart'], 60);
			assert.equal((await commandCalls(admin)) - before - 1, OPEN_MINUTES, 'the chart read the closed minutes already');
			assert.deepEqual([again!.completed.reduce((a, b) => a + b, 0), again!.failed.reduce((a, b) => a + b, 0)], [3, 1]);
		} finally {
			await connection.close();
		}
	});
});
