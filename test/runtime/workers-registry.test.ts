/**
 * The worker registry and remote control, through the real CLI as an
 * operator uses it: `workers --json` shows a new worker (host, pid) within
 * seconds and drops a SIGKILLed one once its heartbeat expires; `workers
 * pause|resume <queue>` stops and restarts fetching; `workers stop <id>`
 * makes the worker exit 0.
 */
import {describe, it} from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import {describeResult, parseJson, runCli} from '../helpers/cli.js';
import {waitFor} from '../helpers/keyspace.js';
import {testRedisUrl} from '../helpers/redis-server.js';
import {FAST, holdsFor, line, useSandboxes, type Sandbox} from '../helpers/worker-process.js';

/** The registry's promise: a dead worker's record expires within this (HEARTBEAT_TTL_MS 15 s), plus CLI latency. */
const EXPIRY_DEADLINE_MS = 18_500;

type Listed = {id: string; kind: string; host: string; pid: number; queues: string[]; state: string; concurrency: number; processed: number; current: string[]};

/** Polls `check` every `everyMs` (for checks that spawn the CLI: too costly to run back to back). */
async function poll<T>(check: () => Promise<T | undefined>, what: string, timeoutMs: number, everyMs = 500): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await check();
		if (value !== undefined) return value;
		if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
		await new Promise(resolve => setTimeout(resolve, everyMs));
	}
}

describe('workers: registry and remote control', {concurrency: true}, () => {
	const url = testRedisUrl();
	const open = useSandboxes(url);

	const cli = async (box: Sandbox, args: string[]) => runCli([...args, '--redis', box.redisUrl, '--prefix', box.prefix]);
	const listed = async (box: Sandbox): Promise<Listed[]> => {
		const result = await cli(box, ['workers', '--json']);
		assert.equal(result.code, 0, describeResult(result));
		return parseJson<{workers: Listed[]}>(result).workers;
	};

	it('a new worker is listed with its host and pid within seconds; a SIGKILLed one disappears when its heartbeat expires', async () => {
		const box = open('reg');
		const config = box.writeConfig({queues: {high: {timeout: 5}, default: {timeout: 5}}});
		const worker = box.worker(config, ['--queue', 'high,default', '--concurrency', '3', ...FAST]);
		// Within 5 s of its start (counted from its "started" line: how long node takes to boot is the machine's).
		await worker.waitForLine(line.started, 'worker started');
		const me = await poll(async () => (await listed(box)).find(entry => entry.pid === worker.pid), 'the worker in `workers --json`', 5000, 200);
		assert.equal(me.host, os.hostname());
		assert.equal(me.kind, 'worker');
		assert.deepEqual(me.queues, ['high', 'default']);
		assert.equal(me.concurrency, 3);
		assert.equal(me.state, 'running');
		worker.signal('SIGKILL');
		await worker.exited;
		// poll fails when a check ending past the deadline still lists it; a check that ends past it without the worker
		// passes (the time the CLI took on a loaded machine is not the registry's).
		await poll(async () => ((await listed(box)).some(entry => entry.pid === worker.pid) ? undefined : true), 'the killed worker to leave `workers --json`', EXPIRY_DEADLINE_MS, 1000);
	});

	it('`workers pause <queue>` stops fetching (a new job stays waiting); `workers resume` processes it', async () => {
		const box = open('pause');
		const config = box.writeConfig({queues: {emails: {timeout: 5}}});
		const worker = box.worker(config, ['--queue', 'emails', ...FAST]);
		await worker.waitForLine(line.started, 'worker started');
		// The control channel only reaches registered workers: wait for the record.
		await poll(async () => (await listed(box)).find(entry => entry.pid === worker.pid), 'the worker to be registered', 5000, 200);
		const paused = await cli(box, ['workers', 'pause', 'emails', '--json']);
		assert.equal(paused.code, 0, describeResult(paused));
		assert.equal(parseJson(paused).count, 1);
		await worker.waitForLine(entry => entry.msg === 'remote control' && entry['command'] === 'pause', 'the pause to arrive');
		assert.equal((await listed(box)).find(entry => entry.pid === worker.pid)?.state, 'paused');
		const id = await box.add('emails', {});
		// Several fetch cycles (--sleep 0.2, BullMQ's block ≤ 1 s): the processor never runs, the job waits.
		await holdsFor(() => box.records().length === 0, 2000, 'the paused worker did not run the job');
		assert.equal(await box.queue('emails').getJobState(id), 'waiting');
		const resumed = await cli(box, ['workers', 'resume', 'emails', '--json']);
		assert.equal(resumed.code, 0, describeResult(resumed));
		await waitFor(async () => (await box.queue('emails').getJobState(id)) === 'completed', 'the job to complete after resume');
		assert.equal((await listed(box)).find(entry => entry.pid === worker.pid)?.state, 'running');
	});

	it('`workers stop <id>` makes the worker exit 0', async () => {
		const box = open('stop');
		const config = box.writeConfig({queues: {default: {timeout: 5}}});
		const worker = box.worker(config, ['--queue', 'default', ...FAST]);
		await worker.waitForLine(line.started, 'worker started');
		const me = await poll(async () => (await listed(box)).find(entry => entry.pid === worker.pid), 'the worker to be registered', 5000, 200);
		const result = await cli(box, ['workers', 'stop', me.id, '--json']);
		assert.equal(result.code, 0, describeResult(result));
		assert.deepEqual(parseJson(result).workers, [me.id]);
		const exit = await worker.waitForExit(10_000, 'the worker to exit after `workers stop`');
		assert.equal(exit.code, 0, worker.describe());
		assert.equal((await worker.waitForLine(line.msg('worker stopped'), 'worker stopped'))['reason'], 'remote stop');
		// A stopped worker leaves the registry at once (no waiting for the TTL).
		assert.equal((await listed(box)).some(entry => entry.id === me.id), false);
		// Its start and stop are in the queue's BullMQ event stream, for `events` and the console.
		const stream = await box.client().xrange(`${box.prefix}:default:events`, '-', '+');
		const events = stream.map(([, fields]) => Object.fromEntries(Array.from({length: fields.length / 2}, (_, index) => [fields[index * 2], fields[index * 2 + 1]])) as Record<string, string>);
		assert.deepEqual(events.filter(event => event['workerId'] === me.id).map(event => event['event']), ['worker.started', 'worker.stopped']);
	});
});
