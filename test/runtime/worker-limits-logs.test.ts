/**
 * A per-queue rate limit from the config (an SMS gateway's quota), and the
 * worker's logs as journald receives them: one JSON object per line with the
 * job fields, never the job's data, never the Redis password.
 */
import {describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {waitFor} from '../helpers/keyspace.js';
import {testRedisUrl} from '../helpers/redis-server.js';
import {FAST, line, usePrivateServers, useSandboxes} from '../helpers/worker-process.js';


/** CPU seconds (user + system) a process has used, from /proc. */
function cpuSeconds(pid: number): number {
	const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
	// After "(comm) ": state is field 3, utime 14 and stime 15 (1-based) → indexes 11 and 12.
	return (Number(fields[11]) + Number(fields[12])) / 100;
}

describe('worker: rate limits and logs', {concurrency: true}, () => {
	const open = useSandboxes(testRedisUrl());
	const privateServer = usePrivateServers();

	it('limiter {max: 2, duration: 1000}: no more than 2 jobs start in any second, without spinning the CPU', async () => {
		const box = open('limit');
		const config = box.writeConfig({queues: {notifications: {timeout: 5, limiter: {max: 2, duration: 1000}}}});
		const ids = [];
		for (let index = 0; index < 6; index++) ids.push(await box.add('notifications', {}));
		// Concurrency 5: only the limiter can hold the jobs back.
		const worker = box.worker(config, ['--queue', 'notifications', '--concurrency', '5', ...FAST]);
		await worker.waitForLine(line.started, 'worker started');
		const cpuBefore = cpuSeconds(worker.pid);
		const wallBefore = Date.now();
		const done = await box.waitForRecords(record => record.event === 'done', 6, 'all 6 jobs done', 15_000);
		const cpu = cpuSeconds(worker.pid) - cpuBefore;
		const wall = (Date.now() - wallBefore) / 1000;
		assert.equal(done.length, 6);
		const starts = box.records().filter(record => record.event === 'start').map(record => record.t).sort((a, b) => a - b);
		// Any 3 consecutive starts span at least one window (a little tolerance for timers).
		for (let index = 0; index + 2 < starts.length; index++) {
			assert.ok(starts[index + 2]! - starts[index]! >= 900, `3 jobs started within ${starts[index + 2]! - starts[index]!} ms: ${starts.map(time => time - starts[0]!).join(', ')}`);
		}
		const span = starts.at(-1)! - starts[0]!;
		assert.ok(span >= 1800 && span < 5000, `6 jobs at 2/s started over ${span} ms`);
		// Waiting for the limit to pass is not work: a worker that busy-loops
		// while rate-limited burns a core (and starves its own timers).
		assert.ok(cpu < wall * 0.5, `the worker used ${cpu.toFixed(2)} s of CPU in ${wall.toFixed(2)} s while rate-limited`);
	});

	it('stdout is one JSON object per line with the job fields, and carries neither job data nor the Redis password', async () => {
		const password = `pw-${Math.random().toString(36).slice(2)}-secret`;
		const server = await privateServer({password});
		const box = open('logs', server.url);
		assert.ok(box.redisUrl.includes(encodeURIComponent(password)), 'the worker must be given the password in its URL');
		const config = box.writeConfig({queues: {default: {timeout: 5}}});
		const marker = `MARKER-${Math.random().toString(36).slice(2)}`;
		const ok = await box.add('default', {marker, account: `${marker}-acct`});
		// Its error message quotes the connection URL, password included (as a careless processor would).
		const bad = await box.add('default', {marker: `${marker}-2`, failTimes: 5, failWith: `cannot reach ${server.url}`}, {attempts: 1});
		const worker = box.worker(config, ['--queue', 'default', ...FAST]);
		await worker.waitForLine(line.job('job completed', ok), 'job completed');
		const failed = await worker.waitForLine(line.job('job failed', bad), 'job failed');
		worker.signal('SIGTERM');
		assert.equal((await worker.waitForExit(10_000)).code, 0, worker.describe());
		const stdout = worker.rawLines.join('\n');
		for (const raw of worker.rawLines) {
			let parsed: Record<string, unknown>;
			try {
				parsed = JSON.parse(raw) as Record<string, unknown>;
			} catch {
				assert.fail(`a stdout line is not JSON: ${raw}`);
			}
			assert.equal(typeof parsed, 'object');
			assert.ok(typeof parsed['time'] === 'string' && !Number.isNaN(Date.parse(parsed['time'])), `no ISO time: ${raw}`);
			assert.ok(['info', 'warn', 'error', 'fatal', 'debug'].includes(String(parsed['level'])), `level: ${raw}`);
			assert.equal(typeof parsed['msg'], 'string', `msg: ${raw}`);
		}
		const completed = worker.lines.find(line.job('job completed', ok))!;
		for (const entry of [completed, failed]) {
			for (const field of ['time', 'level', 'msg', 'queue', 'jobId', 'jobName', 'attempt', 'durationMs']) assert.ok(field in entry, `no "${field}" in ${JSON.stringify(entry)}`);
			assert.equal(entry['queue'], 'default');
			assert.equal(entry['jobName'], 'record');
			assert.equal(entry['attempt'], 1);
			assert.equal(typeof entry['durationMs'], 'number');
		}
		assert.equal(failed.level, 'error');
		assert.match(String(failed['err']), /cannot reach/);
		for (const [text, where] of [[stdout, 'stdout'], [worker.stderr(), 'stderr']] as const) {
			assert.ok(!text.includes(marker), `job data (${marker}) in the worker's ${where}:\n${text}`);
			assert.ok(!text.includes(password), `the Redis password in the worker's ${where}:\n${text}`);
			assert.ok(!text.includes(encodeURIComponent(password)), `the Redis password (URL-encoded) in the worker's ${where}`);
		}
		await waitFor(async () => (await box.queue('default').getJobState(bad)) === 'failed', 'failed in BullMQ');
	});

	it('a hostile job name (newline, ESC, C1 CSI, U+2028) stays inside one inert JSON line', async () => {
		const box = open('hostile-log');
		const config = box.writeConfig({queues: {default: {timeout: 5}}});
		const name = 'evil\n{"level":"fatal"}\u001b[2J\u009b31m\u2028end';
		const id = await box.add('default', {}, {name, attempts: 1});
		const worker = box.worker(config, ['--queue', 'default', ...FAST]);
		const failed = await worker.waitForLine(line.job('job failed', id), 'job failed');
		worker.signal('SIGTERM');
		assert.equal((await worker.waitForExit(10_000)).code, 0, worker.describe());
		// The name comes back intact from the JSON, and the job fails for want of a processor.
		assert.equal(failed['jobName'], name);
		assert.match(String(failed['err']), /no processor for job/);
		const raw = worker.rawLines.find(text => text.includes(`"jobId":"${id}"`) && text.includes('job failed'))!;
		assert.ok(!/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(raw), `a raw control character in the log line: ${JSON.stringify(raw)}`);
		assert.ok(!worker.rawLines.some(text => text.startsWith('{"level":"fatal"}')), 'the name forged a log line');
	});

	it('an unknown SACCOS_QUEUE_LOG_LEVEL exits 2 with a one-line error and a hint', async () => {
		const box = open('log-level');
		const config = box.writeConfig({queues: {default: {timeout: 5}}});
		const worker = box.worker(config, ['--queue', 'default', ...FAST], {SACCOS_QUEUE_LOG_LEVEL: 'loud'});
		const exit = await worker.waitForExit(10_000);
		assert.equal(exit.code, 2, worker.describe());
		assert.match(worker.stderr(), /unknown log level "loud"/);
		assert.match(worker.stderr(), /trace, debug, info, warn, error, fatal/);
		assert.ok(!/\n\s+at /.test(worker.stderr()), `a stack trace:\n${worker.stderr()}`);
	});

	it('--log-data puts a failed job\'s data in its "job failed" line, with the Redis password masked', async () => {
		const password = `pw-${Math.random().toString(36).slice(2)}-secret`;
		const server = await privateServer({password});
		const box = open('log-data', server.url);
		const config = box.writeConfig({queues: {default: {timeout: 5}}});
		const marker = `MEMBER-${Math.random().toString(36).slice(2)}`;
		const id = await box.add('default', {member: marker, callback: server.url, failTimes: 5}, {attempts: 1});
		const worker = box.worker(config, ['--queue', 'default', '--log-data', ...FAST]);
		const failed = await worker.waitForLine(line.job('job failed', id), 'job failed');
		worker.signal('SIGTERM');
		assert.equal((await worker.waitForExit(10_000)).code, 0, worker.describe());
		const data = JSON.parse(String(failed['data'])) as Record<string, unknown>;
		assert.equal(data['member'], marker);
		assert.match(String(data['callback']), /^redis:\/\/(?:\*\*\*|:\*\*\*)@127\.0\.0\.1:\d+/);
		const stdout = worker.rawLines.join('\n');
		assert.ok(!stdout.includes(password) && !stdout.includes(encodeURIComponent(password)), `the Redis password in the worker's stdout:\n${stdout}`);
		// Only failure lines carry it.
		assert.ok(worker.lines.filter(entry => 'data' in entry).every(entry => entry.msg === 'job failed' || entry.msg === 'job timed out'));
	});
});

