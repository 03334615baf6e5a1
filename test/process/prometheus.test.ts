/**
 * The Prometheus side, with the real tools: examples/prometheus/ passes
 * `promtool check rules`, `check config` and its rule unit tests (`promtool
 * test rules`: every alert fires on what it is about, and only then); and a
 * real Prometheus, configured from the example, scrapes a running `saccos-queue
 * exporter` on a private Redis while our real worker runs real BullMQ jobs:
 * its counters reach the jobs BullMQ completed and failed, grow with more
 * jobs without a reset, the alert rules load, and Redis going away is `up 0`.
 */
import {after, before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {parse, stringify} from 'yaml';
import {root} from '../helpers/cli.js';
import {waitFor} from '../helpers/keyspace.js';
import {NO_PROMETHEUS, NO_PROMTOOL, promtool, startPrometheus, type PrometheusServer} from '../helpers/prometheus.js';
import type {RedisServer} from '../helpers/redis-server.js';
import {FAST, startProcess, usePrivateServers, useSandboxes, type LongProcess, type Sandbox} from '../helpers/worker-process.js';

const examples = path.join(root, 'examples', 'prometheus');

describe('examples/prometheus with promtool', {skip: NO_PROMTOOL}, () => {
	it('alerts.yml passes `promtool check rules`', () => {
		const result = promtool(['check', 'rules', path.join(examples, 'alerts.yml')]);
		assert.equal(result.code, 0, result.output);
		assert.match(result.output, /SUCCESS: 6 rules found/);
	});

	it('prometheus.yml passes `promtool check config` (its rule file included)', () => {
		const result = promtool(['check', 'config', path.join(examples, 'prometheus.yml')]);
		assert.equal(result.code, 0, result.output);
	});

	it('each alert fires on what it is about and stays quiet otherwise (`promtool test rules alerts.test.yml`)', () => {
		const result = promtool(['test', 'rules', path.join(examples, 'alerts.test.yml')]);
		assert.equal(result.code, 0, result.output);
		assert.match(result.output, /SUCCESS/);
	});
});

describe('a real Prometheus scrapes the exporter while a real worker runs jobs', {skip: NO_PROMETHEUS}, () => {
	const open = useSandboxes('');
	const privateServer = usePrivateServers();
	let server: RedisServer;
	let box: Sandbox;
	let exporter: LongProcess;
	let prometheus: PrometheusServer | undefined;

	before(async () => {
		server = await privateServer();
		box = open('prometheus-e2e', server.url);
		writeFileSync(path.join(box.dir, 'ok.mjs'), 'export default async () => "ok";');
		writeFileSync(path.join(box.dir, 'fail.mjs'), 'export default async () => { throw new Error("planned"); };');
		const config = box.writeConfig({queues: {emails: {timeout: 30}}, processors: {ok: './ok.mjs', fail: './fail.mjs'}, metrics: {flushInterval: '1s'}}, 'config.json');
		box.worker(config, ['--queue', 'emails', ...FAST]);
		exporter = startProcess(['exporter', '--listen', '127.0.0.1:0', '--json', ...box.args(config)], {cwd: box.dir});
		const serving = await exporter.waitForLine(entry => /^serving http:/.test(String(entry.msg)), 'the exporter to serve');
		const target = /http:\/\/(\S+)\/metrics/.exec(String(serving.msg))![1]!;
		// The example's configuration, scraping every second, at this exporter, with the example's rules.
		const example = parse(readFileSync(path.join(examples, 'prometheus.yml'), 'utf8')) as {
			global: Record<string, string>;
			rule_files: string[];
			scrape_configs: Array<{job_name: string; scrape_interval: string; scrape_timeout: string; static_configs: Array<{targets: string[]}>}>;
		};
		example.global['scrape_interval'] = '1s';
		example.global['evaluation_interval'] = '1s';
		example.rule_files = example.rule_files.map(file => path.join(examples, file));
		const job = example.scrape_configs.find(entry => entry.job_name === 'saccos-queue')!;
		Object.assign(job, {scrape_interval: '1s', scrape_timeout: '1s'});
		job.static_configs[0]!.targets = [target];
		prometheus = await startPrometheus(stringify(example));
	});

	after(async () => {
		await prometheus?.stop();
		exporter?.signal('SIGTERM');
		await exporter?.waitForExit(5000).catch(() => undefined);
	});

	/** The value of a one-sample query, or undefined while it has none. */
	const scalar = async (expression: string): Promise<number | undefined> => (await prometheus!.query(expression))[0]?.value;
	const until = async (expression: string, expected: number, what: string) => {
		let seen: number | undefined;
		await waitFor(async () => (seen = await scalar(expression)) === expected, () => `${what}: ${expression} = ${String(seen)}, not ${expected}\n--- exporter:\n${exporter.describe()}\n--- prometheus:\n${prometheus!.log()}`, 60_000);
	};

	it('its counters reach what BullMQ completed and failed, grow with more jobs without a reset; the rules are loaded', async () => {
		const emails = box.queue('emails');
		for (let index = 0; index < 15; index++) await emails.add('ok', {});
		for (let index = 0; index < 3; index++) await emails.add('fail', {}, {attempts: 1});
		await waitFor(async () => (await emails.getCompletedCount()) === 15 && (await emails.getFailedCount()) === 3, 'the jobs to finish', 30_000);
		await until('sum(saccos_queue_jobs_completed_total{job="saccos-queue",queue="emails"})', await emails.getCompletedCount(), 'the completed jobs');
		await until('saccos_queue_jobs_failed_total{job="saccos-queue",queue="emails",name="fail"}', await emails.getFailedCount(), 'the failed jobs');
		assert.equal(await scalar('up{job="saccos-queue"}'), 1);
		for (let index = 0; index < 7; index++) await emails.add('ok', {});
		await waitFor(async () => (await emails.getCompletedCount()) === 22, 'the next jobs to finish', 30_000);
		await until('saccos_queue_jobs_completed_total{job="saccos-queue",queue="emails",name="ok"}', 22, 'the completed jobs, later');
		assert.equal(await scalar('sum(resets(saccos_queue_jobs_completed_total{job="saccos-queue"}[10m]))'), 0, 'a counter went down');
		assert.equal(await scalar('saccos_queue_job_runtime_seconds_count{job="saccos-queue",queue="emails",name="ok"}'), 22);
		assert.ok((await scalar('saccos_queue_workers{job="saccos-queue",queue="emails"}'))! >= 1, 'the worker is counted');
		const rules = (await prometheus!.api('rules')) as {groups: Array<{name: string; rules: Array<{name: string; health: string}>}>};
		const group = rules.groups.find(entry => entry.name === 'saccos-queue');
		assert.deepEqual(group?.rules.map(rule => rule.name).sort(), ['SaccosQueueExporterDown', 'SaccosQueueFailureRate', 'SaccosQueueLongWait', 'SaccosQueueMetricsStale', 'SaccosQueueNoWorkers', 'SaccosQueueTextfileStale']);
		await waitFor(async () => {
			const current = ((await prometheus!.api('rules')) as typeof rules).groups.find(entry => entry.name === 'saccos-queue')!;
			return current.rules.every(rule => rule.health === 'ok');
		}, 'every rule to evaluate without error', 30_000);
	});

	it('Redis going away is `up 0` (the exporter answers 503) and the exporter runs on', async () => {
		server.kill('SIGKILL');
		await until('up{job="saccos-queue"}', 0, 'up once Redis is gone');
		await exporter.waitForLine(line => /^scrape failed \(answered 503\): redis-/.test(String(line.msg)), 'the exporter to answer 503', 20_000);
		await server.restart();
		await until('up{job="saccos-queue"}', 1, 'up once Redis is back');
	});
});
