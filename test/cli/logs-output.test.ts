/**
 * `logs` prints what a real worker wrote (through real BullMQ): on a terminal
 * in the console's readable form (time, service, level, message, job, error),
 * sanitized; with --json one object a line whose `fields` is the worker's
 * JSON line as an object; piped without --json, the raw lines as before.
 */
import {describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {mkdirSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {logPath} from '../../source/process/local-supervisor.js';
import {describeResult, runCli, runCliInPty} from '../helpers/cli.js';
import {testRedisUrl} from '../helpers/redis-server.js';
import {FAST, line, useSandboxes} from '../helpers/worker-process.js';

/** An error message with escape sequences (a screen clear, a window title): untrusted text. */
const HOSTILE_REASON = 'gateway \x1b[2J\x1b]0;pwned\x07timeout';
const STACK_LINE = '    at send (mailer.js:10:5)';
/** What our own colours write (dim, red, yellow and their ends); anything else raw is a failure. */
const OUR_COLOURS = /\x1b\[(2|22|31|33|39)m/g;
const RAW_CONTROL = /[\x00-\x09\x0B-\x1F\x7F-\x9F]/u;

describe('logs output', () => {
	const open = useSandboxes(testRedisUrl());

	/** A state dir whose worker@high log holds a real worker's lines for a failed job, then a stack trace line. */
	async function workerLog(): Promise<{config: string; jobId: string}> {
		const box = open('logs-out');
		const state = path.join(box.dir, 'state');
		const config = box.writeConfig({processes: 'local', stateDir: state});
		const jobId = await box.add('high', {failTimes: 5, failWith: HOSTILE_REASON});
		const worker = box.worker(config, ['--queue', 'high', '--tries', '1', ...FAST]);
		await worker.waitForLine(line.job('job failed', jobId), 'the "job failed" line');
		worker.signal('SIGTERM');
		await worker.waitForExit(15_000, 'the worker to stop');
		mkdirSync(path.join(state, 'logs'), {recursive: true});
		writeFileSync(logPath(state, 'worker@high'), [...worker.rawLines, STACK_LINE].map(text => `${text}\n`).join(''));
		return {config: box.writeConfig({processes: 'local', stateDir: state, redis: box.redisUrl, prefix: box.prefix}), jobId};
	}

	it('on a terminal: the readable form (time, service, level, message, job, error), sanitized; piped: the raw lines as before', async t => {
		const {config, jobId} = await workerLog();
		const tty = await runCliInPty(['logs', 'worker@high', '-n', '100', '--config', config]);
		if (!tty) {
			t.skip('no pseudo-terminal (python3 with pty) on this machine');
			return;
		}
		assert.equal(tty.code, 0, describeResult(tty));
		const seen = tty.stdout.replace(OUR_COLOURS, '').replaceAll('\r', '');
		assert.doesNotMatch(seen, RAW_CONTROL, `raw control characters on the terminal: ${JSON.stringify(seen)}`);
		assert.doesNotMatch(seen, /\{"/, `JSON on the terminal:\n${seen}`);
		const lines = seen.split('\n').filter(Boolean);
		assert.ok(lines.some(text => / worker@high INFO worker started\b/.test(text)), seen);
		const failed = lines.find(text => text.includes(`ERROR job failed high/${jobId} (record)`));
		assert.ok(failed, `the "job failed" line, readable:\n${seen}`);
		assert.match(failed, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\S* worker@high ERROR job failed /, 'time, service, level first');
		assert.match(failed, /err: gateway .*pwned.*timeout/, 'the error, its escapes made visible');
		assert.ok(lines.some(text => text.endsWith(`worker@high ${STACK_LINE}`)), 'a line that is not JSON keeps its text');

		const piped = await runCli(['logs', 'worker@high', '-n', '100', '--config', config]);
		assert.equal(piped.code, 0, describeResult(piped));
		assert.ok(piped.stdout.split('\n').some(text => text.includes('"msg":"job failed"') && text.includes(` worker@high {`)), `piped: the raw lines:\n${piped.stdout}`);
		assert.doesNotMatch(piped.stdout, RAW_CONTROL);
	});

	it('--json: {"service", "time", "pid", "text", "fields"}, fields the worker\'s line as an object (null when not JSON)', async () => {
		const {config, jobId} = await workerLog();
		const result = await runCli(['logs', 'worker@high', '-n', '100', '--json', '--config', config]);
		assert.equal(result.code, 0, describeResult(result));
		assert.doesNotMatch(result.stdout, /[\x00-\x09\x0B-\x1F\x7F-\x9F]/u, 'escaped in JSON');
		type Entry = {service: string; time: number | null; pid: number | null; text: string; fields: Record<string, unknown> | null};
		const entries = result.stdout.split('\n').filter(Boolean).map(text => JSON.parse(text) as Entry);
		for (const entry of entries) assert.deepEqual(Object.keys(entry).sort(), ['fields', 'pid', 'service', 'text', 'time'], JSON.stringify(entry));
		const failed = entries.find(entry => entry.fields?.['msg'] === 'job failed');
		assert.ok(failed, result.stdout);
		assert.equal(typeof failed.fields, 'object');
		assert.equal(String(failed.fields!['jobId']), jobId);
		assert.equal(failed.fields!['queue'], 'high');
		assert.match(JSON.stringify(failed.fields!['err']), /gateway/);
		assert.deepEqual(JSON.parse(failed.text), failed.fields, 'text is still the line as written');
		const stack = entries.at(-1)!;
		assert.equal(stack.text, STACK_LINE);
		assert.equal(stack.fields, null);
	});
});
