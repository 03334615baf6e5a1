// A test processor that records every execution: one JSON line per event
// ("start", "fail", "abort", "done") with the job id, the attempt and the pid,
// appended to the file named by data.recordFile or SACCOS_TEST_RECORD.
//
// Behaviour is chosen by the job's data:
//   failTimes: N      throw on the first N attempts ("planned failure on attempt K")
//   failWith: "text"  the message of those failures (default as above)
//   sleepMs: N        wait N ms, rejecting with ctx.signal's reason when it fires
//   ignoreSignal: true  ...but keep waiting when it fires (the abort is still recorded)
//   busyMs: N         block the event loop for N ms (a CPU-bound report)
//   never: true       never settle
//   report: "text"    ctx.log("text") then ctx.progress(100), with log and
//                     progress destructured from ctx (as processors often do)
// Any other field (say a marker) is ignored.
import {appendFileSync} from 'node:fs';

export default async function record(job, ctx) {
	const data = job.data ?? {};
	const file = data.recordFile ?? process.env.SACCOS_TEST_RECORD;
	if (!file) throw new Error('record processor: no data.recordFile and no SACCOS_TEST_RECORD');
	const attempt = job.attemptsMade + 1;
	const write = (event, extra = {}) => appendFileSync(file, `${JSON.stringify({event, id: job.id, name: job.name, queue: job.queue, attempt, pid: process.pid, t: Date.now(), ...extra})}\n`);
	write('start');
	ctx.signal.addEventListener('abort', () => {
		const reason = ctx.signal.reason;
		write('abort', {reason: reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason)});
	}, {once: true});
	if (data.failTimes && job.attemptsMade < data.failTimes) {
		write('fail');
		throw new Error(data.failWith ?? `planned failure on attempt ${attempt}`);
	}
	if (data.sleepMs) {
		await new Promise((resolve, reject) => {
			const timer = setTimeout(resolve, data.sleepMs);
			if (!data.ignoreSignal) {
				ctx.signal.addEventListener('abort', () => {
					clearTimeout(timer);
					reject(ctx.signal.reason ?? new Error('aborted'));
				}, {once: true});
			}
		});
	}
	if (data.busyMs) {
		const end = Date.now() + data.busyMs;
		while (Date.now() < end) {
			// Block the event loop.
		}
	}
	if (data.never) await new Promise(() => {});
	if (data.report) {
		const {log, progress} = ctx;
		await log(data.report);
		await progress(100);
	}
	write('done');
	return {recorded: job.id, attempt};
}
