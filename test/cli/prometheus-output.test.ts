/**
 * `saccos-queue metrics --prometheus` end to end: a real worker process runs
 * real BullMQ jobs and records them; the built binary prints the text format.
 * The real `promtool check metrics` accepts it; its counters are BullMQ's
 * completed and failed sets per job name, and never go down when the hour and
 * minute hashes expire; its histograms are cumulative, end in +Inf and count
 * every attempt; label values are escaped; a scrape's Redis commands do not
 * grow with the number of jobs; the windowed flags are exit 2.
 */
import {after, before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {writeFileSync} from 'node:fs';
import path from 'node:path';
import {Redis} from 'ioredis';
import {DEFAULT_METRICS, MetricsRecorder} from '../../source/runtime/metrics-recorder.js';
import {describeResult, parseJson, runCli} from '../helpers/cli.js';
import {commandCalls, keysUnder, waitFor} from '../helpers/keyspace.js';
import {captureLogger} from '../helpers/log-capture.js';
import {NO_PROMTOOL, parseExposition, promtool, sampleOf, type ExpositionSample} from '../helpers/prometheus.js';
import {FAST, usePrivateServers, useSandboxes, type Sandbox} from '../helpers/worker-process.js';

/** A job name with a quote and a backslash (kept by the recorder) and a control character (replaced). */
const ODD = 'say "hi" C:\\tmp\x1b';
const ODD_RECORDED = 'say "hi" C:\\tmp?';

describe('metrics --prometheus', () => {
	const open = useSandboxes('');
	const privateServer = usePrivateServers();
	let box: Sandbox;
	let admin: Redis;
	let started = 0;

	before(async () => {
		const server = await privateServer();
		box = open('prometheus-cli', server.url);
		admin = box.client();
		writeFileSync(path.join(box.dir, 'ok.mjs'), 'export default async () => "ok";');
		writeFileSync(path.join(box.dir, 'fail.mjs'), 'export default async () => { throw new Error("planned"); };');
		const config = box.writeConfig({queues: {emails: {timeout: 30}, high: {timeout: 30}}, processors: {ok: './ok.mjs', fail: './fail.mjs'}, metrics: {flushInterval: '1s'}}, 'config.json');
		const emails = box.queue('emails');
		for (let index = 0; index < 12; index++) await emails.add('ok', {});
		// Two attempts each: one retried, then failed for good.
		for (let index = 0; index < 3; index++) await emails.add('fail', {}, {attempts: 2});
		// No processor for this name: it fails for good, and its name is a label value.
		for (let index = 0; index < 2; index++) await emails.add(ODD, {});
		await box.queue('high').add('urgent', {}, {timestamp: Date.now() - 45_000});
		started = Date.now();
		const worker = box.worker(config, ['--queue', 'emails', ...FAST]);
		await waitFor(async () => (await emails.getCompletedCount()) === 12 && (await emails.getFailedCount()) === 5, 'the emails jobs to finish', 30_000);
		worker.signal('SIGTERM');
		assert.equal((await worker.waitForExit(15_000)).code, 0, worker.describe());
	});

	after(() => admin?.disconnect());

	const args = (...more: string[]) => ['metrics', ...more, '--redis', box.redisUrl, '--prefix', box.prefix, '--config', path.join(box.dir, 'config.json')];
	const scrape = async (): Promise<{text: string; samples: ExpositionSample[]; types: Map<string, string>}> => {
		const result = await runCli(args('--prometheus'));
		assert.equal(result.code, 0, describeResult(result));
		return {text: result.stdout, ...parseExposition(result.stdout)};
	};

	it('passes `promtool check metrics` (names, HELP and TYPE, histograms, escaping)', {skip: NO_PROMTOOL}, async () => {
		const {text} = await scrape();
		const checked = promtool(['check', 'metrics'], text);
		assert.equal(checked.code, 0, `promtool check metrics:\n${checked.output}\n--- input:\n${text}`);
		assert.equal(checked.output.trim(), '', `promtool's lint: ${checked.output}`);
	});

	it('counters per queue and job name are BullMQ\'s completed and failed sets; labels escaped; gauges of the state now', async () => {
		const {samples, types} = await scrape();
		const count = (name: string, job: string) => sampleOf(samples, name, {queue: 'emails', name: job});
		const completed = await box.queue('emails').getCompleted(0, 100);
		const failed = await box.queue('emails').getFailed(0, 100);
		assert.equal(count('saccos_queue_jobs_completed_total', 'ok'), completed.filter(job => job.name === 'ok').length);
		assert.equal(count('saccos_queue_jobs_failed_total', 'fail'), failed.filter(job => job.name === 'fail').length);
		assert.equal(count('saccos_queue_jobs_retried_total', 'fail'), 3);
		assert.equal(count('saccos_queue_jobs_failed_total', ODD_RECORDED), 2, 'the odd name, escaped and read back');
		assert.equal(count('saccos_queue_jobs_failed_total', 'ok'), 0, 'a name\'s every counter is there, zeros too');
		for (const name of ['saccos_queue_jobs_completed_total', 'saccos_queue_jobs_failed_total', 'saccos_queue_jobs_retried_total']) assert.equal(types.get(name), 'counter');
		assert.equal(types.get('saccos_queue_job_runtime_seconds'), 'histogram');
		assert.equal(sampleOf(samples, 'saccos_queue_jobs', {queue: 'high', state: 'waiting'}), 1);
		assert.equal(sampleOf(samples, 'saccos_queue_jobs', {queue: 'emails', state: 'completed'}), 12);
		assert.ok(sampleOf(samples, 'saccos_queue_oldest_wait_seconds', {queue: 'high'})! >= 45);
		assert.equal(sampleOf(samples, 'saccos_queue_oldest_wait_seconds', {queue: 'emails'}), undefined, 'no sample when none waits');
		assert.equal(sampleOf(samples, 'saccos_queue_paused', {queue: 'high'}), 0);
		assert.equal(sampleOf(samples, 'saccos_queue_workers', {queue: 'emails'}), 0, 'the worker has stopped');
		const flushed = sampleOf(samples, 'saccos_queue_metrics_last_flush_timestamp_seconds')!;
		assert.ok(flushed * 1000 >= started && flushed * 1000 <= Date.now(), `last flush ${flushed}`);
		const read = sampleOf(samples, 'saccos_queue_scrape_timestamp_seconds')!;
		assert.ok(Math.abs(read * 1000 - Date.now()) < 30_000, `scrape time ${read}`);
	});

	it('histograms are cumulative at fixed bounds, end in +Inf = _count, and count every attempt (runtime) and first start (wait)', async () => {
		const {samples} = await scrape();
		for (const [job, attempts, starts] of [['ok', 12, 12], ['fail', 6, 3], [ODD_RECORDED, 2, 2]] as const) {
			for (const [family, expected] of [['saccos_queue_job_runtime_seconds', attempts], ['saccos_queue_job_wait_seconds', starts]] as const) {
				const buckets = samples.filter(sample => sample.name === `${family}_bucket` && sample.labels['queue'] === 'emails' && sample.labels['name'] === job);
				const bounds = buckets.map(sample => (sample.labels['le'] === '+Inf' ? Number.POSITIVE_INFINITY : Number(sample.labels['le'])));
				assert.deepEqual(bounds, [0.001, 0.004, 0.016, 0.064, 0.256, 1.024, 4.096, 16.384, 65.536, 262.144, 1048.576, 4194.304, Number.POSITIVE_INFINITY], `${family} ${job}`);
				for (let index = 1; index < buckets.length; index++) assert.ok(buckets[index]!.value >= buckets[index - 1]!.value, `${family} ${job}: not cumulative`);
				const total = sampleOf(samples, `${family}_count`, {queue: 'emails', name: job});
				assert.equal(total, expected, `${family}_count ${job}`);
				assert.equal(buckets.at(-1)!.value, total, `${family} ${job}: +Inf is not _count`);
				assert.ok(sampleOf(samples, `${family}_sum`, {queue: 'emails', name: job})! >= 0);
			}
		}
		// The jobs waited less than the test ran: the wait _sum is bounded by it.
		assert.ok(sampleOf(samples, 'saccos_queue_job_wait_seconds_sum', {queue: 'emails', name: 'ok'})! <= 12 * (Date.now() - started + 1000) / 1000);
	});

	it('a counter never goes down when the minute and hour hashes expire, and grows with the next flush', async () => {
		const first = (await scrape()).samples;
		for (const kind of ['m', 'h']) for (const key of await keysUnder(admin, `${box.prefix}:saccos-queue:metrics:emails:${kind}`)) await admin.del(key);
		const second = (await scrape()).samples;
		const counters = first.filter(sample => /_total$|_count$|_bucket$|_sum$/.test(sample.name));
		assert.ok(counters.length > 20);
		for (const sample of counters) assert.equal(sampleOf(second, sample.name, sample.labels), sample.value, `${sample.name}${JSON.stringify(sample.labels)} changed`);
		const recorder = new MetricsRecorder(admin, box.prefix, DEFAULT_METRICS, captureLogger());
		recorder.record('emails', 'ok', 'completed', 3, 2);
		await recorder.flush();
		assert.equal(sampleOf((await scrape()).samples, 'saccos_queue_jobs_completed_total', {queue: 'emails', name: 'ok'}), sampleOf(first, 'saccos_queue_jobs_completed_total', {queue: 'emails', name: 'ok'})! + 1);
	});

	it('costs the same Redis commands with 10 or 2,000 waiting jobs (O(queues × names), never O(jobs))', async () => {
		const calls = async () => {
			const before = await commandCalls(admin);
			await scrape();
			// INFO commandstats itself is one call.
			return (await commandCalls(admin)) - before - 1;
		};
		const bulk = async (count: number) => box.queue('high').addBulk(Array.from({length: count}, (_, index) => ({name: 'bulk', data: {index}})));
		await bulk(9);
		const few = await calls();
		await bulk(1991);
		const many = await calls();
		assert.equal(many, few, `${few} commands with 10 jobs waiting, ${many} with 2,000`);
		assert.ok(few < 40, `${few} commands for 2 queues`);
		console.log(`a --prometheus scrape of 2 queues: ${few} Redis commands (scripts' inner calls included), with 10 or 2,000 jobs waiting`);
	});

	it('--since, --by and --json do not go with --prometheus: exit 2, one line and a hint', async () => {
		for (const bad of [['--since', '5m'], ['--by', 'name']]) {
			const result = await runCli(args('--prometheus', ...bad));
			assert.equal(result.code, 2, `${bad.join(' ')}: ${describeResult(result)}`);
			assert.equal(result.stdout, '');
			assert.match(result.stderr, /^saccos-queue: [^\n]+\n {2}hint: [^\n]+\n$/, result.stderr);
		}
		const both = await runCli(args('--prometheus', '--json'));
		assert.equal(both.code, 2, describeResult(both));
		assert.equal(parseJson(both).error.code, 'usage');
	});
});
