/**
 * Guards the in-process ("none") isolation mode against a processor that
 * blocks the event loop: a watchdog thread sees the main loop stop ticking
 * and, once a running job is far past its deadline, logs the job ids and
 * kills the process (non-zero), so systemd restarts it and BullMQ's stalled
 * check hands the job to another worker. A zombie worker is worse than none.
 */
import {writeSync} from 'node:fs';
import {Worker as Thread} from 'node:worker_threads';

const ID_BYTES = 512;
const encoder = new TextEncoder();

/** Shared with the thread: [0] last tick (ms), [1] kill-at (ms, 0 = no job in-process). */
export type Watchdog = {
	/** Records the in-process jobs running now and the latest moment they may still block. */
	watch(jobs: string[], killAt: number): void;
	/** Adds one job that just started (cheap; `watch` rebuilds the full picture on a timer). */
	add(job: string, killAt: number): void;
	stop(): void;
};

const threadSource = `
const {workerData} = require('node:worker_threads');
const {writeSync} = require('node:fs');
const times = new Float64Array(workerData.times);
const length = new Uint16Array(workerData.ids, 0, 1);
const ids = new Uint8Array(workerData.ids, 2);
setInterval(() => {
	const now = Date.now();
	const blockedFor = now - times[0];
	if (times[1] > 0 && now > times[1] && blockedFor > workerData.blockedMs) {
		const text = Buffer.from(ids.slice(0, Math.min(length[0], ids.length))).toString('utf8');
		writeSync(1, JSON.stringify({level: 'fatal', PRIORITY: 2, time: new Date(now).toISOString(), process: 'worker', pid: process.pid, msg: 'event loop blocked past the job deadline; exiting so the unit restarts', jobIds: text.split(',').filter(Boolean), blockedMs: blockedFor}) + '\\n');
		process.kill(process.pid, 'SIGKILL');
	}
}, workerData.checkMs);
`;

/** Starts the watchdog thread; `blockedMs` is how long the loop must be silent to count as blocked. */
export function startWatchdog(options: {blockedMs?: number; checkMs?: number} = {}): Watchdog {
	const times = new Float64Array(new SharedArrayBuffer(16));
	// The running jobs' names as UTF-8, after their byte length (2 bytes).
	const shared = new SharedArrayBuffer(2 + ID_BYTES);
	const length = new Uint16Array(shared, 0, 1);
	const ids = new Uint8Array(shared, 2);
	times[0] = Date.now();
	const tick = setInterval(() => {
		times[0] = Date.now();
	}, 250);
	tick.unref();
	const thread = new Thread(threadSource, {
		eval: true,
		workerData: {times: times.buffer, ids: shared, blockedMs: options.blockedMs ?? 2000, checkMs: options.checkMs ?? 500},
	});
	thread.unref();
	thread.on('error', error => writeSync(2, `watchdog thread failed: ${error.message}\n`));
	return {
		watch(jobs, killAt) {
			length[0] = encoder.encodeInto(jobs.join(','), ids).written;
			times[1] = jobs.length === 0 ? 0 : killAt;
		},
		add(job, killAt) {
			// Hot path (every job start): no allocation. The newest job is
			// named alone; the 250 ms rebuild by `watch` restores the full list.
			length[0] = encoder.encodeInto(job, ids).written;
			if (killAt > times[1]!) times[1] = killAt;
		},
		stop() {
			clearInterval(tick);
			void thread.terminate();
		},
	};
}
