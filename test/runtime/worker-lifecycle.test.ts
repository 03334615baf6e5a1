/**
 * How a worker process ends, as systemd sees it: --max-jobs, --max-time and
 * --memory finish the current job and exit 0 saying why; SIGTERM lets the
 * running job finish (or, past --stop-timeout, leaves it for BullMQ's stalled
 * check) and exits 0 within the deadline, also with Redis gone; a SIGKILLed
 * worker's job is recovered by another worker. No job is lost.
 */
import {after, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {waitFor} from '../helpers/keyspace.js';
import {startRedisServer, testRedisUrl, type RedisServer} from '../helpers/redis-server.js';
import {jobView, killAll, line, sandbox, type Sandbox} from '../helpers/worker-process.js';

const FAST = ['--sleep', '0.2', '--lock-duration', '2000', '--stalled-interval', '1000'];
/** How long Redis stays unreachable before the worker gets SIGTERM. */
const OUTAGE_MS = 3000;

describe('worker: lifecycle', {concurrency: true}, () => {
	const url = testRedisUrl();
	const boxes: Sandbox[] = [];
	const servers: RedisServer[] = [];
	const open = (label: string, redisUrl = url) => {
		const box = sandbox(redisUrl, label);
		boxes.push(box);
		return box;
	};
	after(async () => {
		await Promise.all(boxes.map(async box => box.cleanup()));
		await killAll();
		await Promise.all(servers.map(async server => server.stop()));
	});

	const state = async (box: Sandbox, queue: string, id: string) => box.queue(queue).getJobState(id);
	const stoppingReason = async (worker: ReturnType<Sandbox['worker']>) => (await worker.waitForLine(line.msg('stopping: finishing active jobs, taking no new ones'), 'the stopping line'))['reason'];

	it('--max-jobs 2: two jobs done, the worker exits 0 saying why, the third stays waiting', async () => {
		const box = open('maxjobs');
		const config = box.writeConfig({queues: {default: {timeout: 5}}});
		const ids = [await box.add('default'), await box.add('default'), await box.add('default')];
		const worker = box.worker(config, ['--queue', 'default', '--max-jobs', '2', ...FAST]);
		const exit = await worker.waitForExit(10_000);
		assert.equal(exit.code, 0, worker.describe());
		assert.match(String(await stoppingReason(worker)), /max-jobs 2/);
		assert.deepEqual(await Promise.all(ids.map(async id => state(box, 'default', id))), ['completed', 'completed', 'waiting']);
		const stopped = await worker.waitForLine(line.msg('worker stopped'), 'worker stopped');
		assert.equal(stopped['processed'], 2);
	});

	it('--max-time: the running job finishes, then the worker exits 0 saying why', async () => {
		const box = open('maxtime');
		const config = box.writeConfig({queues: {default: {timeout: 10}}});
		const id = await box.add('default', {sleepMs: 2500});
		const worker = box.worker(config, ['--queue', 'default', '--max-time', '1', ...FAST]);
		const exit = await worker.waitForExit(12_000);
		assert.equal(exit.code, 0, worker.describe());
		assert.match(String(await stoppingReason(worker)), /max-time 1s/);
		assert.equal(await state(box, 'default', id), 'completed');
		const [start] = box.records().filter(record => record.event === 'start');
		const [done] = box.records().filter(record => record.event === 'done');
		assert.ok(done, 'the running job did not finish');
		assert.ok(done.t - start!.t >= 2500);
		// The job was still running when the max time passed: it was not cut short.
		const stopping = worker.lines.findIndex(entry => entry.msg === 'stopping: finishing active jobs, taking no new ones');
		const completed = worker.lines.findIndex(entry => entry.msg === 'job completed');
		assert.ok(stopping < completed, 'the worker stopped only after the job (max-time was not reached during it?)');
	});

	it('--memory: over the limit after a job, the worker exits 0 saying why', async () => {
		const box = open('memory');
		const config = box.writeConfig({queues: {default: {timeout: 5}}});
		const first = await box.add('default');
		const second = await box.add('default');
		// Any Node process is over 16 MB of RSS.
		const worker = box.worker(config, ['--queue', 'default', '--memory', '16', '--concurrency', '1', ...FAST]);
		const exit = await worker.waitForExit(10_000);
		assert.equal(exit.code, 0, worker.describe());
		assert.match(String(await stoppingReason(worker)), /memory \d+ MB over the 16 MB limit/);
		assert.equal(await state(box, 'default', first), 'completed');
		assert.equal(await state(box, 'default', second), 'waiting');
	});

	it('SIGTERM while a job runs: the job finishes and the worker exits 0', async () => {
		const box = open('term');
		const config = box.writeConfig({queues: {default: {timeout: 10}}});
		const id = await box.add('default', {sleepMs: 1500});
		const worker = box.worker(config, ['--queue', 'default', '--stop-timeout', '10', ...FAST]);
		await box.waitForRecords(record => record.event === 'start', 1, 'the job to start');
		worker.signal('SIGTERM');
		const exit = await worker.waitForExit(10_000);
		assert.equal(exit.code, 0, worker.describe());
		assert.equal(await state(box, 'default', id), 'completed');
		assert.equal(box.records().filter(record => record.event === 'abort').length, 0, 'the job was aborted although it finished within the stop timeout');
		assert.equal(await stoppingReason(worker), 'SIGTERM');
	});

	it('SIGTERM past --stop-timeout: exits 0 in time; the job is given back to the queue (no attempt counted) and completes on another worker', async () => {
		const box = open('termlate');
		const config = box.writeConfig({queues: {default: {timeout: 60}}});
		// A processor that ignores ctx.signal, on its last attempt.
		const id = await box.add('default', {sleepMs: 4000, ignoreSignal: true}, {attempts: 1});
		const first = box.worker(config, ['--queue', 'default', '--stop-timeout', '1', ...FAST]);
		await box.waitForRecords(record => record.event === 'start', 1, 'the job to start');
		const sent = Date.now();
		first.signal('SIGTERM');
		const exit = await first.waitForExit(10_000);
		assert.equal(exit.code, 0, first.describe());
		// The stop timeout (1 s) plus the bounded close (≤ 3 s) and a margin.
		assert.ok(Date.now() - sent < 6000, `exited ${Date.now() - sent} ms after SIGTERM with --stop-timeout 1`);
		await first.waitForLine(line.msg('stop deadline passed; returning active jobs to the queue (else the stalled-job check recovers them)'), 'the stop-deadline warning');
		assert.equal(await state(box, 'default', id), 'waiting', 'the job was not given back to the queue at the stop deadline');
		const second = box.worker(config, ['--queue', 'default', ...FAST]);
		await waitFor(async () => (await state(box, 'default', id)) === 'completed', 'the second worker to complete the job', 15_000);
		const starts = box.records().filter(record => record.event === 'start');
		assert.deepEqual(starts.map(record => record.pid), [first.pid, second.pid]);
	});

	it('SIGTERM past --stop-timeout with a processor that honours ctx.signal: the job is not failed (no attempt lost), another worker completes it', async () => {
		const box = open('termcoop');
		const config = box.writeConfig({queues: {default: {timeout: 60}}});
		const id = await box.add('default', {sleepMs: 4000}, {attempts: 1});
		const first = box.worker(config, ['--queue', 'default', '--stop-timeout', '1', ...FAST]);
		await box.waitForRecords(record => record.event === 'start', 1, 'the job to start');
		first.signal('SIGTERM');
		assert.equal((await first.waitForExit(10_000)).code, 0, first.describe());
		// ctx.signal fired for the shutdown…
		const [abort] = await box.waitForRecords(record => record.event === 'abort', 1, 'the abort record');
		assert.match(abort!.reason!, /shutting down/);
		// …but a deploy's restart must not cost the job its (last) attempt.
		const view = await jobView(box.queue('default'), id);
		assert.notEqual(view?.state, 'failed', `the job was failed by the shutdown: "${view?.failedReason}" after ${view?.attemptsMade} attempt(s)`);
		box.worker(config, ['--queue', 'default', ...FAST]);
		await waitFor(async () => (await state(box, 'default', id)) === 'completed', 'another worker to complete the job', 15_000);
	});

	for (const how of ['stopped', 'frozen'] as const) {
		it(`SIGTERM while Redis is ${how === 'stopped' ? 'down (server killed)' : 'unreachable (server frozen with SIGSTOP)'}: the worker still exits within the deadline`, async () => {
			const server = await startRedisServer();
			servers.push(server);
			const box = open(`term${how}`, server.url);
			const config = box.writeConfig({queues: {default: {timeout: 5}}});
			const worker = box.worker(config, ['--queue', 'default', '--stop-timeout', '2', ...FAST]);
			await worker.waitForLine(line.started, 'worker started');
			await box.add('default');
			await box.waitForRecords(record => record.event === 'done', 1, 'a job to complete');
			// The worker is idle, in BullMQ's blocking wait for a job (as it is most of the time).
			const probe = box.client();
			await waitFor(async () => String(await probe.client('LIST')).split('\n').some(entry => entry.includes(box.prefix) && / cmd=bzpopmin /.test(entry)), 'the worker to block waiting for jobs');
			probe.disconnect();
			let exit;
			let took: number;
			try {
				if (how === 'stopped') {
					server.kill('SIGKILL');
					await worker.waitForLine(entry => entry.level === 'warn', 'a warning about Redis', 10_000);
				} else {
					server.kill('SIGSTOP');
				}
				// The scenario, not a synchronisation: Redis stays unreachable for
				// a few seconds (an outage), long enough for the worker to go
				// through its reconnect and fetch paths, before systemd stops it.
				await new Promise(resolve => setTimeout(resolve, OUTAGE_MS));
				const sent = Date.now();
				worker.signal('SIGTERM');
				exit = await worker.waitForExit(10_000, `the worker to exit with Redis ${how}`);
				took = Date.now() - sent;
			} finally {
				if (how === 'frozen') server.kill('SIGCONT');
				// An empty server again, so that the sandbox's cleanup can connect.
				await server.restart();
			}
			assert.equal(exit.code, 0, worker.describe());
			assert.ok(took < 8000, `exited ${took} ms after SIGTERM (stop timeout 2 s, close bounded by 3 s)`);
		});
	}

	it('SIGKILL mid-job: BullMQ\'s stalled check hands the job to another worker, which completes it', async () => {
		const box = open('kill');
		const config = box.writeConfig({queues: {default: {timeout: 30}}});
		const id = await box.add('default', {sleepMs: 2000});
		const doomed = box.worker(config, ['--queue', 'default', ...FAST]);
		await box.waitForRecords(record => record.event === 'start', 1, 'the job to start');
		doomed.signal('SIGKILL');
		await doomed.exited;
		const rescuer = box.worker(config, ['--queue', 'default', ...FAST]);
		await waitFor(async () => (await state(box, 'default', id)) === 'completed', 'the job to be recovered and completed', 15_000);
		const records = box.records();
		assert.deepEqual(records.filter(record => record.event === 'start').map(record => record.pid), [doomed.pid, rescuer.pid]);
		assert.deepEqual(records.filter(record => record.event === 'done').map(record => record.pid), [rescuer.pid]);
		const view = await jobView(box.queue('default'), id);
		assert.equal(view?.state, 'completed');
		assert.deepEqual(await box.queue('default').getJobCounts('failed', 'waiting', 'active', 'delayed'), {failed: 0, waiting: 0, active: 0, delayed: 0});
	});
});
