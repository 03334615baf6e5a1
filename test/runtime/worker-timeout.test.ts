/**
 * Job timeouts through a real worker process: the job fails with a timeout
 * reason that counts as an attempt, ctx.signal fires, a processor that never
 * settles still frees its slot, isolation "thread"/"process" stops even a
 * busy loop, and in-process a blocked event loop gets the worker killed (so
 * systemd restarts it) with the job id in a "fatal" line.
 */
import {describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {waitFor, WAIT_BUDGET_MS} from '../helpers/keyspace.js';
import {testRedisUrl} from '../helpers/redis-server.js';
import {FAST, jobView, line, useSandboxes, type Sandbox} from '../helpers/worker-process.js';


describe('worker: timeouts', {concurrency: true}, () => {
	const url = testRedisUrl();
	const open = useSandboxes(url);

	// The timings these tests judge come from Redis's and the processor's own timestamps, not from this wait.
	const finished = async (box: Sandbox, queue: string, id: string, timeoutMs = WAIT_BUDGET_MS) => waitFor(async () => {
		const view = await jobView(box.queue(queue), id);
		return view?.state === 'completed' || view?.state === 'failed' ? view : undefined;
	}, `job ${queue}/${id} to finish`, timeoutMs);

	it('a job past its timeout fails "timed out", counts as an attempt, and its ctx.signal fires', async () => {
		const box = open('tmo');
		const config = box.writeConfig({queues: {default: {timeout: 1}}});
		// attempts from the producer: the timeout must consume them like any failure.
		const id = await box.add('default', {sleepMs: 30_000}, {attempts: 2});
		const worker = box.worker(config, ['--queue', 'default', ...FAST]);
		const view = await finished(box, 'default', id);
		assert.equal(view.state, 'failed');
		assert.match(view.failedReason, /timed out/);
		assert.equal(view.attemptsMade, 2, 'each timeout is an attempt');
		const records = box.records();
		assert.deepEqual(records.filter(record => record.event === 'start').map(record => record.attempt), [1, 2]);
		const aborts = records.filter(record => record.event === 'abort');
		assert.equal(aborts.length, 2, `ctx.signal fired ${aborts.length} times: ${JSON.stringify(records)}`);
		assert.match(aborts[0]!.reason!, /timed out/);
		// At the deadline, not at the end of the 30 s sleep.
		const start = records.find(record => record.event === 'start')!;
		assert.ok(aborts[0]!.t - start.t < 2500, `aborted ${aborts[0]!.t - start.t} ms after the start, timeout 1 s`);
		const logged = await worker.waitForLine(entry => entry.msg === 'job timed out' && entry['jobId'] === id && entry['attempt'] === 2, 'the timeout in the log');
		assert.equal(logged['willRetry'], false);
	});

	it('a processor that ignores the signal and never settles fails at its deadline; the slot is freed', async () => {
		const box = open('never');
		// The --timeout flag wins over the queue's configured 90 s.
		const config = box.writeConfig({queues: {default: {timeout: 90}}});
		// One attempt: the point is the deadline, not the queue's tries.
		const stuck = await box.add('default', {never: true}, {attempts: 1});
		const next = await box.add('default', {});
		const worker = box.worker(config, ['--queue', 'default', '--concurrency', '1', '--timeout', '1', ...FAST]);
		const view = await finished(box, 'default', stuck);
		assert.equal(view.state, 'failed');
		assert.match(view.failedReason, /timed out/);
		assert.ok(view.finishedOn! - view.processedOn! < 2500, `failed ${view.finishedOn! - view.processedOn!} ms after it started, timeout 1 s`);
		assert.equal(box.records().filter(record => record.event === 'abort' && record.id === stuck).length, 1, 'ctx.signal did not fire');
		// Concurrency 1: the next job only runs if the stuck one gave its slot back.
		assert.equal((await finished(box, 'default', next)).state, 'completed');
		await worker.waitForLine(line.job('job completed', next), 'the next job completed');
		assert.equal(worker.child.exitCode, null, 'the worker exited');
	});

	for (const isolation of ['thread', 'process'] as const) {
		it(`isolation "${isolation}": a busy loop is stopped at its timeout and the worker keeps serving`, async () => {
			const box = open(isolation);
			// The timeout counts from the fetch, so it also covers starting a thread or a process, which a loaded machine
			// stretches to seconds while the worker itself boots. The busy loop must start for this to test anything:
			// it runs on the runner a first job has started (runners are reused), and the next job, on a new one, has 3 s.
			const config = box.writeConfig({queues: {reports: {timeout: 3, isolation}}});
			const warm = await box.add('reports', {});
			const worker = box.worker(config, ['--queue', 'reports', '--concurrency', '1', ...FAST]);
			await worker.waitForLine(line.started, 'worker started');
			assert.equal((await finished(box, 'reports', warm)).state, 'completed');
			const busy = await box.add('reports', {busyMs: 60_000}, {attempts: 1});
			const next = await box.add('reports', {});
			const view = await finished(box, 'reports', busy);
			assert.equal(view.state, 'failed');
			assert.match(view.failedReason, /timed out/);
			assert.ok(view.finishedOn! - view.processedOn! < 5000, `stopped ${view.finishedOn! - view.processedOn!} ms after it started, timeout 3 s`);
			assert.equal((await finished(box, 'reports', next)).state, 'completed');
			const starts = box.records().filter(record => record.event === 'start');
			assert.deepEqual(starts.map(record => record.id).sort(), [warm, busy, next].sort(), 'the busy loop and the next job both ran');
			if (isolation === 'process') {
				assert.ok(starts.every(record => record.pid !== worker.pid), 'the processor ran in the worker process');
				const pidOf = (id: string) => starts.find(record => record.id === id)!.pid;
				assert.equal(pidOf(busy), pidOf(warm), 'the busy loop did not run on the runner the first job started');
				assert.notEqual(pidOf(next), pidOf(busy), 'the next job ran on the runner that was stopped');
			}
			else assert.ok(starts.every(record => record.pid === worker.pid), 'a thread shares the worker pid');
			// The busy loop is gone: the worker still answers SIGTERM at once and exits 0.
			worker.signal('SIGTERM');
			const exit = await worker.waitForExit(8000, 'the worker to exit after SIGTERM');
			assert.equal(exit.code, 0, worker.describe());
		});
	}

	it('in-process, an event loop blocked far past the timeout gets the worker killed, logging the job id', async () => {
		const box = open('watchdog');
		const config = box.writeConfig({queues: {default: {timeout: 1}}});
		const id = await box.add('default', {busyMs: 60_000});
		const worker = box.worker(config, ['--queue', 'default', ...FAST]);
		await box.waitForRecords(record => record.event === 'start', 1, 'the busy job to start');
		// "Far past": the deadline plus max(5 s, the timeout); give it 15 s.
		const exit = await worker.waitForExit(15_000, 'the watchdog to kill the blocked worker');
		assert.ok(exit.code !== 0, `exit ${String(exit.code)} ${String(exit.signal)}`);
		const fatal = worker.lines.find(entry => entry.level === 'fatal');
		assert.ok(fatal, `no "fatal" line:\n${worker.describe()}`);
		assert.deepEqual(fatal['jobIds'], [`default/${id}`]);
		assert.ok(typeof fatal.time === 'string');
		// It was the busy loop that got it killed, not its end.
		assert.equal(box.records().filter(record => record.event === 'done').length, 0);
	});
});
