/**
 * `monitor` beyond sizes, end to end on the built binary, with real worker
 * processes: --max-wait (the age of the job next in line), --min-workers
 * (jobs wait, too few live workers) and --max-failure-rate (from the metrics
 * the workers recorded) alert while the workers are down, and pass again
 * once they are back (exit 1, then 0); the config file's per-queue objects
 * do the same; malformed specs are exit 2 with one line and a hint.
 */
import {before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {writeFileSync} from 'node:fs';
import path from 'node:path';
import {describeResult, parseJson, runCli, type CliResult} from '../helpers/cli.js';
import {waitFor} from '../helpers/keyspace.js';
import {FAST, usePrivateServers, useSandboxes, type Sandbox} from '../helpers/worker-process.js';

type Check = {queue: string; check: string; value: number | null; limit: number; ok: boolean; message: string; windowMs?: number};

describe('monitor checks that work when the workers are down', () => {
	const open = useSandboxes('');
	const privateServer = usePrivateServers();
	let box: Sandbox;
	let config: string;
	let waitingSince = 0;

	before(async () => {
		const server = await privateServer();
		box = open('monitor', server.url);
		writeFileSync(path.join(box.dir, 'ok.mjs'), 'export default async () => "ok";');
		writeFileSync(path.join(box.dir, 'fail.mjs'), 'export default async () => { throw new Error("planned"); };');
		config = box.writeConfig({
			queues: {high: {timeout: 30}, emails: {timeout: 30}, notifications: {timeout: 30}},
			processors: {ok: './ok.mjs', fail: './fail.mjs'},
			monitor: {high: {size: 50, maxWait: '30s', minWorkers: 1}, emails: {maxFailureRate: '20%/15m'}, notifications: 100},
			metrics: {flushInterval: '1s'},
		}, 'config.json');
		waitingSince = Date.now() - 45_000;
		await box.queue('high').add('ok', {}, {timestamp: waitingSince});
	});

	const monitor = async (...args: string[]): Promise<CliResult> => runCli(['monitor', ...args, '--redis', box.redisUrl, '--prefix', box.prefix, '--config', config]);
	const checksOf = (result: CliResult): Check[] => parseJson<{checks: Check[]}>(result).checks;
	const find = (checks: Check[], queue: string, check: string): Check => {
		const found = checks.find(entry => entry.queue === queue && entry.check === check);
		assert.ok(found, `no ${queue}/${check} in ${JSON.stringify(checks)}`);
		return found;
	};

	it('with no worker: the config\'s maxWait and minWorkers of high fail, named, exit 1; its size and the other queues pass', async () => {
		const started = Date.now();
		const result = await monitor('--json');
		assert.equal(result.code, 1, describeResult(result));
		const report = parseJson(result);
		assert.equal(report.ok, false);
		assert.deepEqual(report.queues.map((queue: {name: string}) => queue.name), ['high', 'notifications'], 'the size thresholds, as before');
		const wait = find(report.checks, 'high', 'maxWait');
		assert.ok(wait.value! >= started - waitingSince && wait.value! <= Date.now() - waitingSince && !wait.ok, JSON.stringify(wait));
		assert.equal(wait.limit, 30_000);
		const workers = find(report.checks, 'high', 'minWorkers');
		assert.deepEqual([workers.value, workers.limit, workers.ok, workers.message], [0, 1, false, '1 job waiting, 0 live workers (at least 1)']);
		assert.equal(find(report.checks, 'high', 'size').ok, true);
		assert.deepEqual(report.checks.filter((check: Check) => !check.ok).map((check: Check) => `${check.queue}/${check.check}`), ['high/maxWait', 'high/minWorkers']);
		const human = await monitor();
		assert.equal(human.code, 1, describeResult(human));
		assert.match(human.stdout, /high\s+maxWait\s+\d+s\s+30s\s+ALERT/);
		assert.match(human.stdout, /high\s+minWorkers\s+0\s+1\s+ALERT\s+1 job waiting, 0 live workers/);
	});

	it('flags replace the config: a longer --max-wait passes (exit 0); Laravel\'s sizes still work beside them', async () => {
		assert.equal((await monitor('--max-wait', 'high:2m')).code, 0);
		const mixed = await monitor('high:1', '--max-wait', 'high:2m', '--json');
		assert.equal(mixed.code, 1, describeResult(mixed));
		assert.deepEqual(checksOf(mixed).map(check => [check.check, check.ok]), [['size', false], ['maxWait', true]]);
	});

	it('--min-workers counts live workers: a connected worker on a paused queue passes, and fails once it is gone', async () => {
		const notifications = box.queue('notifications');
		await notifications.pause();
		await notifications.add('ok', {});
		const worker = box.worker(config, ['--queue', 'notifications', ...FAST]);
		await waitFor(async () => (await monitor('--min-workers', 'notifications:1')).code === 0, 'the worker to count as live', 30_000);
		worker.signal('SIGTERM');
		assert.equal((await worker.waitForExit(15_000)).code, 0, worker.describe());
		const down = await monitor('--min-workers', 'notifications:1', '--json');
		assert.equal(down.code, 1, describeResult(down));
		assert.equal(find(checksOf(down), 'notifications', 'minWorkers').message, '1 job waiting, 0 live workers (at least 1)');
	});

	it('recovers: once a worker has run the waiting job, the config\'s checks all pass (exit 0)', async () => {
		const worker = box.worker(config, ['--queue', 'high', ...FAST]);
		await waitFor(async () => (await box.queue('high').getCompletedCount()) === 1, 'the high job to run', 30_000);
		const result = await monitor('--json');
		worker.signal('SIGTERM');
		await worker.waitForExit(15_000);
		assert.equal(result.code, 0, describeResult(result));
		assert.equal(find(checksOf(result), 'high', 'maxWait').message, 'no job waiting');
	});

	it('--max-failure-rate reads what the workers recorded: 2 of 5 failed is 40%', async () => {
		const emails = box.queue('emails');
		const empty = await monitor('--max-failure-rate', 'emails:20%/15m', '--json');
		assert.equal(empty.code, 0, describeResult(empty));
		assert.equal(find(checksOf(empty), 'emails', 'maxFailureRate').value, null);
		for (let index = 0; index < 3; index++) await emails.add('ok', {});
		for (let index = 0; index < 2; index++) await emails.add('fail', {}, {attempts: 1});
		const worker = box.worker(config, ['--queue', 'emails', ...FAST]);
		await waitFor(async () => (await emails.getCompletedCount()) === 3 && (await emails.getFailedCount()) === 2, 'the emails jobs to finish', 30_000);
		worker.signal('SIGTERM');
		assert.equal((await worker.waitForExit(15_000)).code, 0, worker.describe());
		const over = await monitor('--max-failure-rate', 'emails:20%/15m', '--json');
		assert.equal(over.code, 1, describeResult(over));
		const check = find(checksOf(over), 'emails', 'maxFailureRate');
		assert.deepEqual([check.value, check.limit, check.windowMs, check.ok], [0.4, 0.2, 900_000, false]);
		assert.equal(check.message, '2 of 5 jobs failed in the last 15m: 40% (limit 20%)');
		assert.equal((await monitor('--max-failure-rate', 'emails:50%/15m')).code, 0);
	});

	it('malformed specs are exit 2 with one line and a hint, in flags and in the config file', async () => {
		for (const args of [['--max-wait', 'high:30'], ['--max-wait', 'high'], ['--min-workers', 'high:0'], ['--max-failure-rate', 'emails:5%'], ['--max-failure-rate', 'emails:5/15m'], ['--max-failure-rate', 'emails:5%/30d'], ['default=7']]) {
			const result = await monitor(...args);
			assert.equal(result.code, 2, `${args.join(' ')}: ${describeResult(result)}`);
			assert.match(result.stderr, /^saccos-queue: cannot read [^\n]+\n {2}hint: [^\n]+\n$/, result.stderr);
		}
		for (const [entry, expected] of [[{maxWait: 'soon'}, /field "monitor\.high\.maxWait": expected a duration such as "30s"/], [{maxwait: '30s'}, /field "monitor\.high\.maxwait" is not a known setting/], [{maxFailureRate: '5%'}, /field "monitor\.high\.maxFailureRate": expected a failure rate/]] as const) {
			const bad = box.writeConfig({monitor: {high: entry}});
			const result = await runCli(['monitor', '--redis', box.redisUrl, '--prefix', box.prefix, '--config', bad]);
			assert.equal(result.code, 2, describeResult(result));
			assert.match(result.stderr, expected);
			assert.match(result.stderr, /^saccos-queue: [^\n]+\n {2}hint: [^\n]+\n$/);
		}
	});
});
