/**
 * Fault i: hostile job data end to end (issue 9, part 5). A job whose name
 * and data carry every C0 control but newline, DEL, every C1 control, a bidi
 * override and real escape sequences (clear screen, window title, clipboard
 * write) runs on our worker, whose processor logs a hostile line and throws
 * a hostile error (its message and stack trace).
 *
 * Promise: `jobs`, `job`, `failed` (tables and --json) and `events` (lines
 * and --json) never emit a raw ESC or any other C0/C1 control character —
 * newline only in tables — nor a bidi control; the hostile text is still
 * there, as visible placeholders, and --json gives back exactly what the job
 * holds. The worker's log lines keep their own promise (README, "Logs"): C0,
 * C1 and U+2028/2029 JSON-escaped; a bidi control may stay raw there.
 */
import {describe, it} from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {gatherOutput, parseJson, runCli, spawnCli, type CliResult} from '../helpers/cli.js';
import {waitFor} from '../helpers/keyspace.js';
import {testRedisUrl} from '../helpers/redis-server.js';
import {FAST, useSandboxes} from '../helpers/worker-process.js';

const hostileProcessor = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'helpers', 'processors', 'hostile.js');
const QUEUE = 'hostile';

const range = (from: number, to: number): string => Array.from({length: to - from + 1}, (_, offset) => String.fromCharCode(from + offset)).join('');
/** Every C0 control but LF, DEL, every C1 control, a bidi override, and sequences a terminal obeys. */
const CONTROLS = `${range(0x00, 0x09)}${range(0x0b, 0x1f)}\x7f${range(0x80, 0x9f)}\u202e`;
const SEQUENCES = '\x1b[2J\x1b]0;pwned\x07\x1b]52;c;ZXZpbA==\x07\x9b31m\r';
const hostile = (label: string): string => `${label}:${SEQUENCES}${CONTROLS}:end`;

const NAME = hostile('report');
const DATA = {note: hostile('note'), reason: hostile('reason'), log: hostile('log'), frame: hostile('frame')};

/** What no output may contain: C0 but LF (LF too for JSON bodies' strings, checked by parsing), DEL, C1, bidi controls. */
const UNSAFE = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/u;

/** The worker's log: one JSON object per line, C0 (so LF inside a value), DEL, C1 and the JSON line breaks escaped. */
const UNSAFE_LOG = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]/u;

const firstUnsafe = (text: string, unsafe = UNSAFE): string => {
	const match = unsafe.exec(text);
	return match ? `U+${match[0].codePointAt(0)!.toString(16).padStart(4, '0')} at ${match.index}: ${JSON.stringify(text.slice(Math.max(0, match.index - 40), match.index + 20))}` : '';
};

describe('fault: hostile job data', () => {
	const open = useSandboxes(testRedisUrl());

	it('jobs, job, failed, events (tables and --json) and the worker log never emit a raw control character', async () => {
		const box = open('fault-hostile');
		const config = box.writeConfig({queues: {[QUEUE]: {timeout: 5, tries: 1}}, processors: {[NAME]: hostileProcessor}});
		// A generous guard: a loaded 2-core machine has taken over 20 s to run one command.
		const cli = async (args: string[]) => runCli([...args, '--config', config, '--redis', box.redisUrl, '--prefix', box.prefix], {timeoutMs: 60_000});
		const client = box.client();

		// Follow the events first, as an operator would, in both forms.
		const followers = [[], ['--json']].map(extra => {
			const child = spawnCli(['events', '--queue', QUEUE, ...extra, '--config', config, '--redis', box.redisUrl, '--prefix', box.prefix]);
			return {child, extra, output: gatherOutput(child), exited: new Promise(resolve => child.once('close', resolve))};
		});
		try {
			// Ready when both show a probe event (their starting position is read once they connect).
			await waitFor(async () => {
				await client.xadd(`${box.prefix}:${QUEUE}:events`, '*', 'event', 'probe');
				return followers.every(({output}) => output.stdout().includes('probe'));
			}, () => `both events commands to follow: ${followers.map(({output}) => output.stderr()).join(' | ')}`, 20_000);

			const job = await box.queue(QUEUE).add(NAME, DATA, {attempts: 1});
			const id = job.id!;
			const worker = box.worker(config, ['--queue', QUEUE, ...FAST]);
			await waitFor(async () => await box.queue(QUEUE).getJobState(id) === 'failed', () => `job ${id} to fail\n${worker.describe()}`, 20_000);
			await waitFor(() => followers.every(({output}) => /failed/.test(output.stdout()) && output.stdout().includes(id)), 'both events commands to show the failure', 10_000);
			// The worker's "job failed" line is in its log once it is written (chunked within 100 ms).
			await worker.waitForLine(entry => entry.msg === 'job failed' && entry['jobId'] === id, 'the "job failed" log line');

			const outputs: Array<{what: string; text: string; table: boolean; unsafe?: RegExp}> = [];
			const reads = await Promise.all([
				['jobs', QUEUE, '--state', 'failed'], ['job', QUEUE, id], ['failed'],
				['jobs', QUEUE, '--state', 'failed', '--json'], ['job', QUEUE, id, '--json'], ['failed', '--json'],
			].map(async args => ({args, result: await cli(args)})));
			for (const {args, result} of reads) {
				assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
				outputs.push({what: args.join(' '), text: result.stdout + result.stderr, table: !args.includes('--json')});
			}
			for (const {child} of followers) child.kill('SIGTERM');
			await Promise.all(followers.map(async ({exited}) => exited));
			for (const {extra, output} of followers) outputs.push({what: `events ${extra.join(' ')}`, text: output.stdout() + output.stderr(), table: extra.length === 0});
			outputs.push({what: 'the worker\'s log', text: `${worker.rawLines.join('\n')}${worker.stderr()}`, table: false, unsafe: UNSAFE_LOG});

			const leaks = outputs.filter(({text, unsafe = UNSAFE}) => unsafe.test(text)).map(({what, text, unsafe}) => `${what}: ${firstUnsafe(text, unsafe)}`);
			// Not vacuous: the hostile text is shown, as placeholders (␛ for ESC).
			const shown = outputs.filter(({table}) => table).filter(({text}) => !text.includes('␛'));
			const bytes = outputs.reduce((sum, {text}) => sum + text.length, 0);
			console.log(`fault i (hostile data): ${outputs.length} outputs, ${bytes} characters: ${leaks.length} with a raw control character`);
			assert.deepEqual(leaks, []);
			assert.deepEqual(shown.map(({what}) => what), [], 'outputs that do not show the hostile text at all');

			// --json keeps the exact values.
			const detail = parseJson<{name: string; data: unknown; failedReason: string; stacktrace: string[]; logs: {lines: string[]}}>(reads.find(({args}) => args[0] === 'job' && args.includes('--json'))!.result as CliResult);
			assert.equal(detail.name, NAME);
			assert.deepEqual(detail.data, DATA);
			assert.equal(detail.failedReason, DATA.reason);
			assert.ok(detail.stacktrace.some(trace => trace.includes(DATA.frame)), 'the stack trace keeps the hostile frame');
			assert.deepEqual(detail.logs.lines, [DATA.log]);
		} finally {
			for (const {child} of followers) child.kill('SIGKILL');
		}
	});
});
