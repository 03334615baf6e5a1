/**
 * Reading the local supervisor's log files (source/process/logs.ts): large
 * and rotated files answered by reading only what the question needs, UTF-8
 * characters cut by a read block, and stderr text (stack traces) kept with
 * the JSON line it follows: in a --since window, a job's window, and a
 * merged -n of several services (through the local controller).
 */
import fs, {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {syncBuiltinESMExports} from 'node:module';
import os from 'node:os';
import path from 'node:path';
import {after, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {jobLogWindow, mergeByTime, readLogLines, type LogLine} from '../../source/process/logs.js';
import {openController} from '../../source/process/controller.js';
import {eachLine, logPath} from '../../source/process/local-supervisor.js';
import {PassThrough} from 'node:stream';
import {defaultConfig} from '../../source/config.js';
import {describeResult, runCli} from '../helpers/cli.js';

type Entry = {text: string; time: number | null};

const iso = (time: number) => new Date(time).toISOString();
const jsonLine = (time: number, fields: Record<string, unknown>) => JSON.stringify({level: 'info', time: iso(time), process: 'worker', pid: 4242, ...fields});
const write = (file: string, entries: Entry[]) => writeFileSync(file, entries.map(entry => `${entry.text}\n`).join(''));

/** Runs `read` counting the bytes it reads from files (fs.readSync, which the readers use). */
function countingReads<T>(read: () => T): {result: T; bytes: number} {
	const original = fs.readSync;
	let bytes = 0;
	fs.readSync = ((...args: Parameters<typeof fs.readSync>) => {
		const count = original(...args);
		bytes += count;
		return count;
	}) as typeof fs.readSync;
	syncBuiltinESMExports();
	try {
		return {result: read(), bytes};
	} finally {
		fs.readSync = original;
		syncBuiltinESMExports();
	}
}

/** What the user sees of lines: their text and time. */
const seen = (lines: LogLine[]) => lines.map(line => ({text: line.text, time: line.time}));

describe('reading logs', () => {
	const scratch = mkdtempSync(path.join(process.env['SACCOS_TEST_TMPDIR'] || os.tmpdir(), 'saccos-logs-reading-'));
	after(() => rmSync(scratch, {recursive: true, force: true}));

	/**
	 * 60,000 lines of ~200 bytes (12 MB), one a second, ending a second ago;
	 * every 1000th JSON line is an error followed by a 3-line stack trace
	 * (untimed: it has the error's time).
	 */
	const bigLog = (() => {
		const end = Date.now() - 1000;
		const entries: Entry[] = [];
		const count = 60_000;
		for (let index = 0; index < count; index++) {
			const time = end - (count - 1 - index) * 1000;
			const base = jsonLine(time, {workerId: 'w-1', queue: 'high', jobId: String(index), msg: index % 1000 === 500 ? 'job failed' : 'job completed', pad: ''});
			entries.push({text: base.replace('"pad":""', `"pad":"${'x'.repeat(Math.max(0, 199 - base.length))}"`), time});
			if (index % 1000 === 500) {
				for (const frame of [`Error: job ${index} failed → retry`, '    at process (/srv/app/jobs.js:10:5)', '    at Worker.run (/srv/app/worker.js:99:12)']) entries.push({text: frame, time});
			}
		}
		return {entries, end};
	})();

	it('a 12 MB log answers --since (the last minute) and -n 50 correctly, reading only its end', () => {
		const dir = mkdtempSync(path.join(scratch, 'big-'));
		const file = path.join(dir, 'worker@high.log');
		write(file, bigLog.entries);
		const size = fs.statSync(file).size;
		assert.ok(size > 12_000_000, `the file is ${size} bytes`);
		const sinceMs = bigLog.end - 60_000;
		const rss = process.memoryUsage().rss;
		const started = performance.now();
		const window = countingReads(() => readLogLines('worker@high', file, {sinceMs}));
		const windowMs = performance.now() - started;
		const info = `(information only: ${windowMs.toFixed(0)} ms, RSS +${((process.memoryUsage().rss - rss) / 1048576).toFixed(1)} MB, ${window.bytes} of ${size} bytes read)`;
		const expected = bigLog.entries.filter(entry => entry.time! >= sinceMs);
		assert.equal(expected.length, 61);
		assert.deepEqual(seen(window.result), expected, `the last minute's lines ${info}`);
		assert.ok(window.bytes < size / 10, `a window at the end reads the end, not the file ${info}`);

		const tailStarted = performance.now();
		const last = countingReads(() => readLogLines('worker@high', file, {lines: 50}));
		const tailInfo = `(information only: ${(performance.now() - tailStarted).toFixed(0)} ms, ${last.bytes} bytes read)`;
		assert.deepEqual(seen(last.result), bigLog.entries.slice(-50), `-n 50: the last 50 lines ${tailInfo}`);
		assert.ok(last.bytes <= 64 * 1024, `50 lines of ~200 bytes take one block ${tailInfo}`);
	});

	it('-n starting inside a stack trace gives its lines the time of the error before them', () => {
		const dir = mkdtempSync(path.join(scratch, 'tail-trace-'));
		const file = path.join(dir, 'worker@high.log');
		write(file, bigLog.entries.slice(0, 2000));
		const errorAt = bigLog.entries.findIndex(entry => entry.text.includes('"job failed"'));
		// The last lines from the middle of the trace on: its error line is not among them.
		const from = errorAt + 2;
		const got = readLogLines('worker@high', file, {lines: 2000 - from});
		assert.deepEqual(seen(got), bigLog.entries.slice(from, 2000));
		assert.equal(got[0]!.time, bigLog.entries[errorAt]!.time);
	});

	it('a window across a rotated .1 and the current file returns exactly its lines, reading neither whole', () => {
		const dir = mkdtempSync(path.join(scratch, 'rotated-'));
		const file = path.join(dir, 'worker@high.log');
		// Oldest first: .2, .1, current (20,000 entries each, ~4 MB each).
		const parts = [bigLog.entries.slice(0, 20_000), bigLog.entries.slice(20_000, 40_000), bigLog.entries.slice(40_000)];
		write(`${file}.2`, parts[0]!);
		write(`${file}.1`, parts[1]!);
		write(file, parts[2]!);
		const total = [file, `${file}.1`, `${file}.2`].reduce((sum, name) => sum + fs.statSync(name).size, 0);
		// The rotation is in the middle of a stack trace: put a failure there.
		const boundary = parts[1]!.at(-1)!.time!;
		for (const [sinceMs, untilMs] of [[boundary - 30_000, boundary + 30_000], [boundary - 600_000, boundary - 500_000], [boundary + 5_000, boundary + 5_500]] as const) {
			const read = countingReads(() => readLogLines('worker@high', file, {sinceMs, untilMs}));
			const expected = bigLog.entries.filter(entry => entry.time! >= sinceMs && entry.time! <= untilMs);
			assert.ok(expected.length > 0);
			assert.deepEqual(seen(read.result), expected, `window ${sinceMs - boundary} … ${untilMs - boundary} ms around the rotation`);
			assert.ok(read.bytes < 2 * 1024 * 1024, `a window of a minute reads a few blocks, not the files (${read.bytes} of ${total} bytes)`);
		}
		const whole = readLogLines('worker@high', file, {sinceMs: 0});
		assert.deepEqual(seen(whole), bigLog.entries, 'a window of everything: every line once, oldest first');
	});

	it('a multi-byte character cut by a read block comes back intact', () => {
		const dir = mkdtempSync(path.join(scratch, 'utf8-'));
		const block = 64 * 1024;
		for (const character of ['é', '→', '😀']) {
			const width = Buffer.byteLength(character);
			for (let into = 1; into < width; into++) {
				// -n reads the last 64 KB first: the block's edge falls `into` bytes into the character.
				const restBytes = block - (width - into);
				const filler = restBytes - ' end\n'.length;
				const first = 'g'.repeat((filler % 100) + 99);
				const rest = [' end', first, ...Array.from({length: (filler - first.length - 1) / 100}, () => 'f'.repeat(99))].join('\n') + '\n';
				assert.equal(Buffer.byteLength(rest), restBytes);
				const file = path.join(dir, `tail-${width}-${into}.log`);
				writeFileSync(file, `a line before\nthe character ${character}${rest}`);
				const size = fs.statSync(file).size;
				const cut = Buffer.from(fs.readFileSync(file)).subarray(size - block, size - block + width - into);
				assert.ok(cut.length > 0 && !`x${character}`.includes(cut.toString('utf8')), 'the edge cuts the character');
				const expected = fs.readFileSync(file, 'utf8').split('\n').slice(0, -1);
				assert.ok(expected.includes(`the character ${character} end`));
				const got = readLogLines('scheduler', file, {lines: 10_000}).map(line => line.text);
				assert.equal(got[1], `the character ${character} end`, `-n: ${character} cut ${into} byte(s) in`);
				assert.equal(got.length, expected.length);
				assert.ok(got.every((line, index) => line === expected[index]), 'and every other line');
			}
		}
		// Reading forward (a window), chunks are 256 KB: a character across the first chunk's edge.
		const chunk = 256 * 1024;
		const start = Date.now() - 3_600_000;
		for (const character of ['é', '→', '😀']) {
			const entries: Entry[] = [];
			let bytes = 0;
			let time = start;
			while (bytes < chunk - 1000) {
				const text = jsonLine(time, {msg: 'tick'});
				entries.push({text, time});
				bytes += Buffer.byteLength(text) + 1;
				time += 1000;
			}
			const probe = jsonLine(time, {msg: ''});
			const before = Buffer.byteLength(probe.slice(0, probe.indexOf('"msg":"') + 7));
			// The character begins 1 byte before the chunk's edge.
			const text = jsonLine(time, {msg: `${'p'.repeat(chunk - 1 - bytes - before)}${character} end`});
			entries.push({text, time});
			assert.equal(Buffer.from(`${entries.map(entry => `${entry.text}\n`).join('')}`).indexOf(character), chunk - 1);
			for (let index = 1; index <= 10; index++) entries.push({text: jsonLine(time + index * 1000, {msg: `after ${character}`}), time: time + index * 1000});
			const file = path.join(dir, `forward-${Buffer.byteLength(character)}.log`);
			write(file, entries);
			assert.deepEqual(seen(readLogLines('scheduler', file, {sinceMs: start - 1000})), entries, `${character} across the 256 KB edge`);
		}
	});

	describe('a stack trace after a JSON error line', () => {
		const stateDir = mkdtempSync(path.join(scratch, 'trace-'));
		mkdirSync(path.join(stateDir, 'logs'), {recursive: true});
		const worker = logPath(stateDir, 'worker@high');
		const scheduler = logPath(stateDir, 'scheduler');
		const failedAt = Date.now() - 600_000;
		const error = jsonLine(failedAt, {level: 'error', workerId: 'host:w-7', queue: 'high', jobId: '42', msg: 'job failed'});
		const trace = ['TypeError: Cannot read properties of undefined (reading \'amount\') → loan 17', '    at postRepayment (/srv/app/jobs/repayments.js:41:18)', '    at async Worker.processJob (/srv/app/node_modules/bullmq/dist/cjs/classes/worker.js:455:28)', '    at async Worker.retryIfFailed (/srv/app/node_modules/bullmq/dist/cjs/classes/worker.js:640:24)'];
		const exited = JSON.stringify({time: iso(failedAt + 50), level: 'warn', process: 'supervisor', service: 'worker@high', msg: 'exited with code 1'});
		const later = [jsonLine(failedAt + 1000, {workerId: 'host:w-8', msg: 'worker ready'}), jsonLine(failedAt + 2000, {workerId: 'host:w-8', queue: 'high', jobId: '43', msg: 'job completed'})];
		// The log rotated in the middle of the trace: the error and its first two lines are in .1.
		writeFileSync(`${worker}.1`, [jsonLine(failedAt - 3000, {workerId: 'host:w-7', queue: 'high', jobId: '42', msg: 'job started'}), error, trace[0], trace[1]].map(text => `${text}\n`).join(''));
		writeFileSync(worker, [trace[2], trace[3], exited, ...later].map(text => `${text}\n`).join(''));
		const nodeWarning = '(node:977) Warning: Setting the NODE_TLS_REJECT_UNAUTHORIZED environment variable to \'0\' makes TLS connections insecure';
		const schedulerFirst = failedAt - 2000;
		const schedulerLines = [
			{text: nodeWarning, time: null},
			{text: jsonLine(schedulerFirst, {process: 'scheduler', msg: 'scheduler started'}), time: schedulerFirst},
			{text: jsonLine(failedAt + 20, {process: 'scheduler', msg: 'tick'}), time: failedAt + 20},
			{text: jsonLine(failedAt + 1500, {process: 'scheduler', msg: 'tick'}), time: failedAt + 1500},
		];
		write(scheduler, schedulerLines);
		const controller = openController({...defaultConfig(), processes: 'local', stateDir}, []);
		const listing = async (name: string, query: {lines?: number; sinceMs?: number; untilMs?: number}) => {
			const got: LogLine[] = [];
			await (await controller).logs(name, query, line => got.push(line));
			return got;
		};

		it('--since from before the error keeps the trace, with the error\'s time, in order (across the rotation)', () => {
			const got = readLogLines('worker@high', worker, {sinceMs: failedAt - 1000});
			assert.deepEqual(seen(got), [
				{text: error, time: failedAt},
				...trace.map(text => ({text, time: failedAt})),
				{text: exited, time: failedAt + 50},
				...later.map((text, index) => ({text, time: failedAt + (index + 1) * 1000})),
			]);
			assert.deepEqual(readLogLines('worker@high', worker, {sinceMs: failedAt + 10}).map(line => line.text), [exited, ...later], 'a window after the error leaves its trace out');
		});

		it('a merged -n of two services keeps the trace in its place, not at the top where it is cut off', async () => {
			const got = await listing('all', {lines: 7});
			assert.deepEqual(got.map(line => [line.service, line.text]), [
				['worker@high', trace[2]],
				['worker@high', trace[3]],
				['scheduler', schedulerLines[2]!.text],
				['worker@high', exited],
				['worker@high', later[0]],
				['scheduler', schedulerLines[3]!.text],
				['worker@high', later[1]],
			]);
			assert.deepEqual(got.slice(0, 2).map(line => line.time), [failedAt, failedAt], 'the trace\'s lines in the current file have the error\'s time from .1');
		});

		it('the job\'s log window (logs --job) includes the trace', async () => {
			const window = jobLogWindow({queue: 'high', id: '42', processedOn: failedAt - 3000, finishedOn: failedAt, processedBy: 'host:w-7'})!;
			const got = (await listing('all', {sinceMs: window.sinceMs, untilMs: window.untilMs})).filter(line => window.matches(line));
			assert.deepEqual(got.map(line => line.text), [got[0]!.text, error, ...trace]);
			assert.match(got[0]!.text, /job started/);
		});

		it('a line before any timed line keeps time null, and a window keeps it when the first timed line is in it', () => {
			const inside = readLogLines('scheduler', scheduler, {sinceMs: schedulerFirst - 60_000});
			assert.deepEqual(seen(inside), schedulerLines, 'the warning at the start comes with the lines it led up to');
			assert.equal(inside[0]!.time, null);
			const afterStart = readLogLines('scheduler', scheduler, {sinceMs: schedulerFirst + 1});
			assert.deepEqual(seen(afterStart), schedulerLines.slice(2), 'a window after the first timed line leaves the warning out');
			const before = readLogLines('scheduler', scheduler, {sinceMs: schedulerFirst - 60_000, untilMs: schedulerFirst - 1});
			assert.deepEqual(before, [], 'nor is it in a window that ends before the first timed line');
		});
	});
});

describe('logs --since through the CLI', () => {
	const dir = mkdtempSync(path.join(process.env['SACCOS_TEST_TMPDIR'] || os.tmpdir(), 'saccos-since-'));
	after(() => rmSync(dir, {recursive: true, force: true}));

	it('a time typed as the lines show it is read in the config\'s time zone, not the host\'s', async () => {
		const state = path.join(dir, 'state');
		mkdirSync(path.join(state, 'logs'), {recursive: true});
		// 06:59Z and 07:01Z are 09:59 and 10:01 in Dar es Salaam (UTC+3).
		write(logPath(state, 'worker@high'), [
			{text: jsonLine(Date.UTC(2026, 10, 28, 6, 59), {msg: 'before ten, Dar es Salaam time'}), time: null},
			{text: jsonLine(Date.UTC(2026, 10, 28, 7, 1), {msg: 'after ten, Dar es Salaam time'}), time: null},
		]);
		const config = path.join(dir, 'config.json');
		writeFileSync(config, JSON.stringify({processes: 'local', timezone: 'Africa/Dar_es_Salaam', stateDir: state}));
		const result = await runCli(['logs', 'worker@high', '--since', '2026-11-28 10:00', '--json', '--config', config], {env: {TZ: 'UTC'}});
		assert.equal(result.code, 0, describeResult(result));
		const messages = result.stdout.split('\n').filter(Boolean).map(line => String((JSON.parse((JSON.parse(line) as {text: string}).text) as {msg: string}).msg));
		assert.deepEqual(messages, ['after ten, Dar es Salaam time']);
	});
});

describe('merging the lines of several services', () => {
	it('a line without a time sorts just before the next timed line of its own service, not to the top', () => {
		const at = (seconds: number) => Date.UTC(2026, 10, 28, 10, 0, seconds);
		const line = (service: string, text: string, time: number | null): LogLine => ({service, time, pid: 1, text});
		const merged = mergeByTime([
			[line('worker@high', '(node:42) Warning: a startup warning on stderr', null), line('worker@high', 'worker started', at(5)), line('worker@high', 'job failed', at(20)), line('worker@high', '    at send (mailer.js:10:5)', null)],
			[line('scheduler', 'scheduler started', at(1)), line('scheduler', 'schedules synced', at(10))],
		]);
		assert.deepEqual(merged.map(entry => entry.text), [
			'scheduler started',
			'(node:42) Warning: a startup warning on stderr',
			'worker started',
			'schedules synced',
			'job failed',
			'    at send (mailer.js:10:5)',
		]);
	});
});

describe('a child\'s output into its log', () => {
	it('lines come out whole across chunks, CRLF trimmed; a line past 1 MiB is cut, says so, and the next line is whole', async () => {
		const stream = new PassThrough();
		const lines: string[] = [];
		eachLine(stream, line => lines.push(line));
		const ended = new Promise(resolve => stream.on('end', resolve));
		stream.write('first li');
		stream.write('ne\r\nsecond → line\n\n');
		// A multi-byte character split across two writes.
		const arrow = Buffer.from('→');
		stream.write(Buffer.concat([Buffer.from('third '), arrow.subarray(0, 1)]));
		stream.write(Buffer.concat([arrow.subarray(1), Buffer.from('\n')]));
		stream.write('x'.repeat(700_000));
		stream.write(`${'y'.repeat(700_000)}\nafter the long one\nno newline at the end`);
		stream.end();
		await ended;
		assert.deepEqual(lines.slice(0, 4), ['first line', 'second → line', '', 'third →']);
		assert.equal(lines[4]!.length, 1024 * 1024 + ' … [line cut at 1048576 bytes]'.length);
		assert.ok(lines[4]!.endsWith('… [line cut at 1048576 bytes]'));
		assert.deepEqual(lines.slice(5), ['after the long one', 'no newline at the end']);
	});
});
