/**
 * The numbers operators watch, in the console: the queues view's rate, sparkline and failures
 * in the last hour (from the minute series the workers record), and a queue's metrics view
 * (m): per job name count, failures, total and average time, p95, the runtime histogram of the
 * selected name and the per-minute chart; t changes the window.
 */
import {afterEach, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import type {MinuteSeries, QueueMetrics} from '../../source/common/types.js';
import {fixtureApi, renderConsole, snapshotOf, type Call, type ConsoleHarness} from '../helpers/console.js';

const minute = 60_000;
const now = Math.floor(Date.now() / minute) * minute;
/** 60 minutes of emails: 20 a minute, the last 5 complete ones 30, 2 failures 10 minutes ago; the current minute 4 so far. */
function seriesOf(queue: string): MinuteSeries {
	const minutes = Array.from({length: 60}, (_, index) => now - (59 - index) * minute);
	const completed = minutes.map((_, index) => (index === 59 ? 4 : index >= 54 ? 30 : 20));
	const failed = minutes.map((_, index) => (index === 49 ? 2 : 0));
	return {queue, minutes, completed, failed};
}

const summary = {perMinute: 30, lastMinute: 30, completed: 1204, failed: 2, retried: 9, failureRate: 0.0017, runtime: {avg: 2100, p50: 1800, p95: 4800, p99: 9000}, wait: {p50: 300, p95: 1200}};
const metrics: QueueMetrics = {
	queue: 'emails',
	...summary,
	names: [
		{name: 'email.send', ...summary, completed: 1180, failed: 2, totalMs: 2_478_000, runtimeHistogram: [{fromMs: 1024, toMs: 1448, count: 212}, {fromMs: 1448, toMs: 2048, count: 700}, {fromMs: 4096, toMs: 5793, count: 40}]},
		{name: 'email.digest', ...summary, completed: 24, failed: 0, totalMs: 96_000, runtimeHistogram: [{fromMs: 2896, toMs: 4096, count: 24}]},
	],
};

describe('console: throughput, wait and runtime', () => {
	let harness: ConsoleHarness | undefined;
	afterEach(() => {
		harness?.unmount();
		harness = undefined;
	});

	const open = async (over: Parameters<typeof fixtureApi>[0] = {}) => {
		const snapshot = snapshotOf([{name: 'high'}, {name: 'emails', waiting: 3}]);
		snapshot.queues[1]!.oldestWaitMs = 95_000;
		const api = fixtureApi({snapshot: async () => snapshot, minuteSeries: async queues => queues.map(seriesOf), queueMetrics: async queue => ({metrics: {...metrics, queue}, series: seriesOf(queue)}), ...over});
		harness = await renderConsole(api, {view: 'queues'}, {columns: 200, rows: 30});
		return {api, console: harness};
	};

	it('the queues view: LATENCY of the next job, JOBS/MIN of the last 5 complete minutes, a sparkline, FAILED 1H', async () => {
		const {api, console} = await open();
		const frame = await console.waitFor(text => /emails\s.*\s30\s/.test(text), 'the rates of emails');
		assert.match(frame, /LATENCY\s+JOBS\/MIN\s+LAST 30M\s+FAILED 1H/);
		const row = frame.split('\n').find(line => line.includes('emails'))!;
		// 20 a minute, then 30 for the last 5 complete minutes, the current minute 4 so far: ▆…▆█████▂.
		assert.match(row, /1m 35s\s+30\s+▆{24}█{5}▂\s+2$/u, row);
		// One read of the series for the queues on screen, apart from the counts' snapshot.
		const reads = api.calls.filter((call: Call) => call.method === 'minuteSeries');
		assert.ok(reads.length >= 1);
		assert.deepEqual(reads[0]!.args, [['high', 'emails'], 60]);
	});

	it('m opens the queue\'s metrics: per job name, the histogram of the selected name, the per-minute chart; t the next window', async () => {
		const {api, console} = await open();
		await console.waitFor(text => /▸ high/.test(text), 'the queues');
		await console.key('j');
		await console.key('m');
		const frame = await console.waitFor(text => text.includes('email.digest'), 'the metrics view');
		assert.match(frame, /emails · last hour: 1204 completed, 2 failed \(0\.2%\), 9 retried · 30\/min now/);
		assert.match(frame, /JOB NAME\s+COUNT\s+FAILED\s+RETRIED\s+TOTAL TIME\s+AVG\s+P95\s+WAIT P95\s+JOBS\/MIN/);
		assert.match(frame, /▸ email\.send\s+1182\s+2\s+9\s+41m 18s\s+2\.1s\s+4\.8s\s+1\.2s\s+30/);
		assert.match(frame, /jobs per minute, last 60 min \(highest 30\/min; 2 failed\)/);
		assert.match(frame, /runtime of email\.send/);
		assert.match(frame, /1\.4s–2\.0s\s+700 █{40}\n/, 'the fullest bucket, 40 blocks');
		assert.match(frame, /1\.0s–1\.4s\s+212 █{12}\n/, 'a bucket scaled to the fullest');
		await console.key('j');
		await console.waitFor(text => text.includes('runtime of email.digest') && /2\.9s–4\.1s\s+24 █{40}/.test(text), 'the histogram of the next name');
		await console.key('t');
		await console.waitFor(text => text.includes('emails · last 24 hours: '), 'the 24-hour window');
		assert.deepEqual(api.calls.filter((call: Call) => call.method === 'queueMetrics').map(call => call.args).at(-1), ['emails', 86_400_000]);
	});
});
