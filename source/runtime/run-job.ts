/**
 * Runs one processor call with its timeout. In-process ("none"), the job
 * fails at its deadline and its slot is freed even if the processor never
 * settles; in a thread or child process, the runner is terminated too.
 */
import {fork} from 'node:child_process';
import {fileURLToPath} from 'node:url';
import {Worker as Thread} from 'node:worker_threads';
import type {Isolation} from '../config.js';
import type {JobInfo, LoadedProcessor, ProcessorContext} from './processors.js';
import {JobTimeoutError} from './timeout.js';

const entry = fileURLToPath(new URL('./isolated-entry.js', import.meta.url));

export type RunHooks = {
	log(line: string): Promise<void>;
	progress(value: number | object): Promise<void>;
	/**
	 * The worker's set of "abort this job" functions, called when its shutdown
	 * grace runs out (a Set rather than a listener per job on one AbortSignal).
	 */
	onShutdown: Set<(reason: Error) => void>;
};

/** Jobs with a deadline, checked by one timer (a setTimeout and a promise race per job cost a busy worker). */
const deadlines = new Map<object, {at: number; expire(): void}>();
let sweeper: NodeJS.Timeout | undefined;

function watchDeadline(key: object, at: number, expire: () => void): void {
	deadlines.set(key, {at, expire});
	if (!sweeper) {
		sweeper = setInterval(() => {
			const now = Date.now();
			for (const [entry, deadline] of deadlines) {
				if (deadline.at <= now) {
					deadlines.delete(entry);
					deadline.expire();
				}
			}
			if (deadlines.size === 0) {
				clearInterval(sweeper);
				sweeper = undefined;
			}
		}, 50);
		sweeper.unref();
	}
}

/**
 * Runs `processor` for `job`, rejecting with JobTimeoutError after
 * `timeoutSeconds` (checked every 50 ms). The in-process path is the hot one
 * (a busy worker runs it thousands of times a second): ctx.signal's
 * AbortController is only made when the processor reads it.
 */
export async function runJob(processor: LoadedProcessor, isolation: Isolation, job: JobInfo, timeoutSeconds: number, hooks: RunHooks): Promise<unknown> {
	let controller: AbortController | undefined;
	let reason: Error | undefined;
	const signal = (): AbortSignal => {
		if (!controller) {
			controller = new AbortController();
			if (reason) controller.abort(reason);
		}
		return controller.signal;
	};
	const abort = (why: Error) => {
		reason ??= why;
		controller?.abort(why);
	};
	hooks.onShutdown.add(abort);
	const key = {};
	try {
		// A processor that ignores the signal is left behind when its deadline rejects this promise.
		return await new Promise((resolve, reject) => {
			watchDeadline(key, Date.now() + timeoutSeconds * 1000, () => {
				const error = new JobTimeoutError(timeoutSeconds);
				abort(error);
				reject(error);
			});
			const work = isolation === 'none' ? inProcess(processor, job, signal, hooks) : isolated(isolation, processor, job, signal(), hooks);
			work.then(resolve, reject);
		});
	} finally {
		deadlines.delete(key);
		hooks.onShutdown.delete(abort);
	}
}

async function inProcess(processor: LoadedProcessor, job: JobInfo, signal: () => AbortSignal, hooks: RunHooks): Promise<unknown> {
	// A processor that throws synchronously still fails as a rejection.
	const ctx: ProcessorContext = {
		get signal() {
			return signal();
		},
		log: hooks.log,
		progress: hooks.progress,
	};
	return processor.run(job, ctx);
}

type Message =
	| {type: 'log'; line: string}
	| {type: 'progress'; value: number | object}
	| {type: 'done'; result: unknown}
	| {type: 'error'; name: string; message: string; stack?: string};

/** A thread or child process that runs one job at a time and is reused while it behaves. */
type Runner = {
	send(message: unknown): void;
	listen(onMessage: (message: Message) => void, onExit: (error: Error) => void): void;
	/** Idle runners must not keep the worker process alive. */
	hold(busy: boolean): void;
	kill(): void;
};

const idle: Record<'thread' | 'process', Runner[]> = {thread: [], process: []};
/** Idle runners kept per mode: as many as jobs may run at once (the worker's concurrency). */
let maxIdle = 4;

/** Sizes the runner pools to the worker's concurrency. */
export function setRunnerPoolSize(size: number): void {
	maxIdle = Math.max(1, size);
}

function spawnRunner(mode: 'thread' | 'process'): Runner {
	let onMessage: (message: Message) => void = () => {};
	let onExit: (error: Error) => void = () => {};
	if (mode === 'thread') {
		const thread = new Thread(entry);
		thread.on('message', message => onMessage(message as Message));
		thread.on('error', error => onExit(error));
		thread.on('exit', code => onExit(new Error(`processor thread exited with code ${code}`)));
		return {
			send: message => thread.postMessage(message),
			listen: (next, exit) => {
				onMessage = next;
				onExit = exit;
			},
			hold: busy => (busy ? thread.ref() : thread.unref()),
			kill: () => void thread.terminate(),
		};
	}
	const child = fork(entry, [], {serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc']});
	child.on('message', message => onMessage(message as Message));
	child.on('error', error => onExit(error));
	child.on('exit', (code, killSignal) => onExit(new Error(`processor process exited with ${killSignal ?? `code ${code}`}`)));
	return {
		send: message => child.send(message as object),
		listen: (next, exit) => {
			onMessage = next;
			onExit = exit;
		},
		hold: busy => {
			if (busy) {
				child.ref();
				child.channel?.ref();
			} else {
				child.unref();
				child.channel?.unref();
			}
		},
		kill: () => {
			if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
		},
	};
}

async function isolated(mode: 'thread' | 'process', processor: LoadedProcessor, job: JobInfo, signal: AbortSignal, hooks: RunHooks): Promise<unknown> {
	const runner = idle[mode].pop() ?? spawnRunner(mode);
	runner.hold(true);
	return new Promise((resolve, reject) => {
		let settled = false;
		const finish = (error: Error | undefined, result?: unknown, reusable = false) => {
			if (settled) return;
			settled = true;
			runner.listen(() => {}, () => {});
			if (reusable && idle[mode].length < maxIdle) {
				runner.hold(false);
				idle[mode].push(runner);
			} else runner.kill();
			if (error) reject(error);
			else resolve(result);
		};
		runner.listen(message => {
			if (message.type === 'log') void hooks.log(message.line);
			else if (message.type === 'progress') void hooks.progress(message.value);
			else if (message.type === 'done') finish(undefined, message.result, true);
			else finish(Object.assign(new Error(message.message), {name: message.name, stack: message.stack ?? message.message}), undefined, true);
		}, error => finish(error));
		// At the timeout (or the shutdown deadline) the runner is terminated, not asked:
		// the point of isolation is that blocking code stops.
		signal.addEventListener('abort', () => finish(signal.reason instanceof Error ? signal.reason : new Error('aborted')), {once: true});
		runner.send({type: 'start', module: processor.module, job});
	});
}
