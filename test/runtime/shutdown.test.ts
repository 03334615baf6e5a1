/**
 * The shutdown sequence (source/runtime/shutdown.ts) on its own: what starts
 * a stop (SIGTERM/SIGINT, max-time, max-jobs, memory, a second request that
 * changes nothing), the drain that waits for running jobs up to the stop
 * timeout and then gives them back (abandoned, moveToWait with their token,
 * ctx.signal "worker shutting down"), and the bounded close.
 */
import {describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {EventEmitter} from 'node:events';
import {closeWithin, Shutdown, type Leftover, type ShutdownOptions} from '../../source/runtime/shutdown.js';
import {captureLogger} from '../helpers/log-capture.js';

const STOPPING = 'stopping: finishing active jobs, taking no new ones';

function shutdownWith(options: Partial<ShutdownOptions> = {}) {
	const log = captureLogger();
	const signals = new EventEmitter();
	const shutdown = new Shutdown({maxTime: 0, stopTimeoutMs: 1000, signals, ...options}, log);
	return {shutdown, log, signals};
}

/** A running job that records what the drain did to it. */
function leftover(name: string): Leftover & {givenBack?: string; abortedWith?: string} {
	const entry: Leftover & {givenBack?: string; abortedWith?: string} = {
		name,
		token: `token-${name}`,
		abandoned: false,
		job: {
			moveToWait: async token => {
				entry.givenBack = token;
				return 0;
			},
		},
		abort(reason) {
			entry.abortedWith = reason.message;
		},
	};
	return entry;
}

/**
 * The shutdown's timers are unref'd (they must never keep a worker alive on
 * their own; its Redis connections do that): here a ref'd timer stands in
 * for the connections while a test awaits them.
 */
async function keptAlive<T>(work: () => Promise<T>): Promise<T> {
	const alive = setInterval(() => {}, 1000);
	try {
		return await work();
	} finally {
		clearInterval(alive);
	}
}

describe('shutdown', () => {
	for (const signal of ['SIGTERM', 'SIGINT'] as const) {
		it(`${signal} starts the stop, logged once with the signal as its reason; listeners go with release()`, async () => {
			const {shutdown, log, signals} = shutdownWith();
			shutdown.listen();
			assert.equal(signals.listenerCount(signal), 1);
			const stopped = shutdown.untilStopped();
			signals.emit(signal, signal);
			await stopped;
			assert.equal(shutdown.stopping, true);
			assert.equal(shutdown.signal.aborted, true);
			signals.emit('SIGTERM', 'SIGTERM');
			shutdown.stop('remote stop', 3);
			assert.deepEqual(log.find(STOPPING).map(line => line.fields), [{reason: signal}]);
			assert.equal(shutdown.reason, signal);
			assert.equal(shutdown.exitCode, 0);
			shutdown.release();
			assert.equal(signals.listenerCount('SIGTERM') + signals.listenerCount('SIGINT'), 0);
		});
	}

	it('--max-time stops once the clock started runs out', async () => {
		const {shutdown} = shutdownWith({maxTime: 0.05});
		shutdown.startClock();
		await keptAlive(async () => shutdown.untilStopped());
		assert.equal(shutdown.reason, 'max-time 0.05s reached');
		shutdown.release();
	});

	it('--max-jobs stops when the finished jobs reach it; --memory when RSS is over the limit', () => {
		const jobs = shutdownWith({maxJobs: 3});
		jobs.shutdown.jobEnded(2);
		assert.equal(jobs.shutdown.stopping, false);
		jobs.shutdown.jobEnded(3);
		assert.equal(jobs.shutdown.reason, 'max-jobs 3 reached');
		let rss = 100 * 1024 * 1024;
		const memory = shutdownWith({memory: 128, rss: () => rss});
		memory.shutdown.jobEnded(1);
		assert.equal(memory.shutdown.stopping, false);
		rss = 200 * 1024 * 1024;
		memory.shutdown.jobEnded(2);
		assert.equal(memory.shutdown.reason, 'memory 200 MB over the 128 MB limit');
	});

	it('the drain waits for running jobs to end, woken by each, and gives back nothing', async () => {
		const {shutdown, log} = shutdownWith({stopTimeoutMs: 60_000});
		const running = [leftover('q/1'), leftover('q/2')];
		shutdown.stop('SIGTERM');
		const started = Date.now();
		const drained = shutdown.drain(() => running);
		running.pop();
		shutdown.jobEnded(1);
		// Let the drain see the first end and wait again, for the second one.
		await new Promise(resolve => setImmediate(resolve));
		running.pop();
		shutdown.jobEnded(2);
		await drained;
		assert.ok(Date.now() - started < 30_000, 'the drain waited for its deadline although no job was left');
		assert.deepEqual(log.lines.filter(line => line.level === 'warn'), []);
	});

	it('past the stop timeout, the jobs still running are abandoned, given back with their token, then told "worker shutting down"', async () => {
		const {shutdown, log} = shutdownWith({stopTimeoutMs: 50});
		const stuck = [leftover('high/7'), leftover('default/9')];
		shutdown.stop('SIGTERM');
		await keptAlive(async () => shutdown.drain(() => stuck));
		for (const entry of stuck) {
			assert.equal(entry.abandoned, true);
			assert.equal(entry.givenBack, entry.token);
			assert.equal(entry.abortedWith, 'worker shutting down');
		}
		const [warning] = log.lines.filter(line => line.level === 'warn');
		assert.equal(warning?.msg, 'stop deadline passed; returning active jobs to the queue (else the stalled-job check recovers them)');
		assert.deepEqual(warning?.fields, {jobIds: ['high/7', 'default/9']});
	});

	it('a give-back Redis never answers does not hold the drain past its 2 s bound; the jobs are still told', async () => {
		const {shutdown} = shutdownWith({stopTimeoutMs: 0});
		const entry = leftover('q/1');
		entry.job.moveToWait = async () => new Promise(() => {});
		const started = Date.now();
		await keptAlive(async () => shutdown.drain(() => [entry]));
		assert.ok(Date.now() - started < 5000);
		assert.equal(entry.abortedWith, 'worker shutting down');
	});

	it('closeWithin runs the steps in order, and returns by its deadline when one hangs', async () => {
		const done: string[] = [];
		await closeWithin(1000, [() => void done.push('a'), async () => done.push('b')]);
		assert.deepEqual(done, ['a', 'b']);
		const started = Date.now();
		await keptAlive(async () => closeWithin(100, [async () => new Promise(() => {}), () => void done.push('never')]));
		assert.ok(Date.now() - started < 2000);
		assert.deepEqual(done, ['a', 'b']);
	});
});
