/**
 * onSignals (source/util/signals.ts) against real signals sent to a real
 * child process (test/helpers/signals-child.ts): what its handler gets, that
 * the process lives on while a signal is taken, and that a signal no longer
 * taken (disposed, not asked for, or repeated with `once`) ends the process
 * by its default effect. Every step waits for a line the child prints.
 */
import {spawn} from 'node:child_process';
import {EventEmitter} from 'node:events';
import path from 'node:path';
import {createInterface} from 'node:readline';
import {after, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {onSignals, type HandledSignal} from '../../source/util/signals.js';
import {root} from '../helpers/cli.js';

const child = path.join(root, 'test', 'helpers', 'signals-child.ts');
const DEADLINE_MS = 10_000;

type Wanted = {name: string; signals?: HandledSignal[]; once?: boolean};
const started = new Set<ReturnType<typeof spawn>>();

/** The child taking signals as `wanted` says, once it has said "ready". */
async function start(wanted: Wanted[]) {
	const proc = spawn(process.execPath, ['--import', 'tsx', child, JSON.stringify(wanted)], {cwd: root, stdio: ['pipe', 'pipe', 'pipe']});
	started.add(proc);
	const lines: string[] = [];
	let stderr = '';
	proc.stderr.on('data', chunk => {
		stderr += String(chunk);
	});
	const waiters = new Set<() => void>();
	createInterface({input: proc.stdout}).on('line', line => {
		lines.push(line);
		for (const wake of waiters) wake();
	});
	const exited = new Promise<{code: number | null; signal: NodeJS.Signals | null}>(resolve => proc.once('exit', (code, signal) => resolve({code, signal})));
	const describeIt = () => `lines: ${JSON.stringify(lines)}; stderr: ${stderr}`;
	const within = async <T>(promise: Promise<T>, what: string): Promise<T> => {
		let timer: NodeJS.Timeout | undefined;
		try {
			return await Promise.race([promise, new Promise<never>((_, reject) => {
				timer = setTimeout(() => reject(new Error(`no ${what} within ${DEADLINE_MS} ms (${describeIt()})`)), DEADLINE_MS);
			})]);
		} finally {
			clearTimeout(timer);
		}
	};
	/** Resolves once the child has printed `line` (or rejects when it exits first). */
	const waitForLine = async (line: string) => within(new Promise<void>((resolve, reject) => {
		const check = () => {
			if (lines.includes(line)) {
				waiters.delete(check);
				resolve();
			}
		};
		waiters.add(check);
		check();
		void exited.then(exit => {
			if (!lines.includes(line)) reject(new Error(`the child exited (${JSON.stringify(exit)}) before printing "${line}" (${describeIt()})`));
		});
	}), `"${line}"`);
	await waitForLine('ready');
	return {
		lines,
		waitForLine,
		signal: (signal: NodeJS.Signals) => proc.kill(signal),
		send: (command: string) => proc.stdin.write(`${command}\n`),
		exit: async () => within(exited, 'exit'),
	};
}

describe('onSignals', () => {
	after(() => {
		for (const proc of started) if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
	});

	it('SIGTERM and SIGINT reach the handler, counted, and the process lives on; after dispose() a SIGTERM ends it as by default', async () => {
		const proc = await start([{name: 'stop'}]);
		proc.signal('SIGTERM');
		await proc.waitForLine('stop SIGTERM 1');
		proc.signal('SIGINT');
		await proc.waitForLine('stop SIGINT 2');
		proc.signal('SIGINT');
		await proc.waitForLine('stop SIGINT 3');
		proc.send('dispose stop');
		await proc.waitForLine('disposed stop');
		proc.signal('SIGTERM');
		assert.deepEqual(await proc.exit(), {code: null, signal: 'SIGTERM'});
		assert.deepEqual(proc.lines, ['ready', 'stop SIGTERM 1', 'stop SIGINT 2', 'stop SIGINT 3', 'disposed stop']);
	});

	it('takes only the signals asked for: SIGHUP when listed, while SIGINT, not listed, ends the process', async () => {
		const proc = await start([{name: 'reload', signals: ['SIGHUP']}]);
		proc.signal('SIGHUP');
		await proc.waitForLine('reload SIGHUP 1');
		proc.signal('SIGHUP');
		await proc.waitForLine('reload SIGHUP 2');
		proc.signal('SIGINT');
		assert.deepEqual(await proc.exit(), {code: null, signal: 'SIGINT'});
	});

	it('once: a signal is taken the first time only, its repeat ends the process (a second Ctrl-C), and a signal not come yet is still taken', async () => {
		const proc = await start([{name: 'follow', once: true}]);
		proc.signal('SIGINT');
		await proc.waitForLine('follow SIGINT 1');
		proc.signal('SIGTERM');
		await proc.waitForLine('follow SIGTERM 2');
		proc.signal('SIGINT');
		assert.deepEqual(await proc.exit(), {code: null, signal: 'SIGINT'});
		assert.deepEqual(proc.lines, ['ready', 'follow SIGINT 1', 'follow SIGTERM 2']);
	});

	it('dispose() removes only its own listeners: another handler of the same signal still gets it, counting on its own', async () => {
		const proc = await start([{name: 'first'}, {name: 'second', signals: ['SIGTERM']}]);
		proc.signal('SIGTERM');
		await proc.waitForLine('first SIGTERM 1');
		await proc.waitForLine('second SIGTERM 1');
		proc.send('dispose first');
		await proc.waitForLine('disposed first');
		proc.signal('SIGTERM');
		await proc.waitForLine('second SIGTERM 2');
		proc.send('dispose second');
		await proc.waitForLine('disposed second');
		proc.signal('SIGTERM');
		assert.deepEqual(await proc.exit(), {code: null, signal: 'SIGTERM'});
		assert.deepEqual(proc.lines.filter(line => line.startsWith('first')), ['first SIGTERM 1']);
	});

	it('a plain emitter as the source (a caller\'s unit tests): the same handling, and dispose() leaves it without listeners', () => {
		const source = new EventEmitter();
		const got: string[] = [];
		const dispose = onSignals((signal, count) => got.push(`${signal} ${count}`), {source});
		source.emit('SIGINT');
		source.emit('SIGTERM');
		source.emit('SIGHUP');
		dispose();
		source.emit('SIGINT');
		assert.deepEqual(got, ['SIGINT 1', 'SIGTERM 2']);
		assert.deepEqual(source.eventNames(), []);
	});
});
