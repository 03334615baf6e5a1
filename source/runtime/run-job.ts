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

/** Where a processor's ctx.log and ctx.progress go (a BullMQ Job is one). */
export type Reporter = {
	log(line: string): Promise<unknown>;
	updateProgress(value: number | object): Promise<unknown>;
};

/**
 * One processor call: its deadline, its ctx.signal (made only when the
 * processor reads it), and the promise the worker waits on. The in-process
 * path is the hot one (a busy worker runs it thousands of times a second): a
 * run is one object, its ctx another, and the caller checks deadlines for all
 * its runs with one timer (`expire` when one passes).
 */
export class JobRun {
	readonly started = Date.now();
	readonly deadline: number;
	expired = false;
	private controller: AbortController | undefined;
	private reason: Error | undefined;
	private rejectRun: ((error: Error) => void) | undefined;

	constructor(readonly timeoutSeconds: number) {
		this.deadline = this.started + timeoutSeconds * 1000;
	}

	signal(): AbortSignal {
		if (!this.controller) {
			this.controller = new AbortController();
			if (this.reason) this.controller.abort(this.reason);
		}
		return this.controller.signal;
	}

	/** Fires ctx.signal (and stops an isolated runner). */
	abort(reason: Error): void {
		this.reason ??= reason;
		this.controller?.abort(reason);
	}

	/** The deadline passed: the processor is told (signal) and left behind (the run rejects). */
	expire(): void {
		if (this.expired) return;
		this.expired = true;
		const error = new JobTimeoutError(this.timeoutSeconds);
		this.abort(error);
		this.rejectRun?.(error);
	}

	/** The processor's outcome, or the timeout's, whichever comes first. */
	settle(work: Promise<unknown>): Promise<unknown> {
		return new Promise((resolve, reject) => {
			this.rejectRun = reject;
			if (this.reason) reject(this.reason);
			else work.then(resolve, reject);
		});
	}
}

/**
 * Runs `processor` for `job` as `run`: the promise rejects with
 * JobTimeoutError when the caller calls `run.expire()` at the deadline; a
 * processor that ignores the signal is left behind.
 */
export function runJob(processor: LoadedProcessor, isolation: Isolation, job: JobInfo, run: JobRun, reporter: Reporter): Promise<unknown> {
	return run.settle(isolation === 'none' ? inProcess(processor, job, run, reporter) : isolated(isolation, processor, job, run.signal(), reporter));
}

/** The ctx of an in-process run; `log` and `progress` are bound on first use, so destructuring them works. */
class Context implements ProcessorContext {
	readonly #run: JobRun;
	readonly #reporter: Reporter;
	#log: ProcessorContext['log'] | undefined;
	#progress: ProcessorContext['progress'] | undefined;

	constructor(run: JobRun, reporter: Reporter) {
		this.#run = run;
		this.#reporter = reporter;
	}

	get signal(): AbortSignal {
		return this.#run.signal();
	}

	get log(): ProcessorContext['log'] {
		this.#log ??= async line => void (await this.#reporter.log(line));
		return this.#log;
	}

	get progress(): ProcessorContext['progress'] {
		this.#progress ??= async value => void (await this.#reporter.updateProgress(value));
		return this.#progress;
	}
}

function inProcess(processor: LoadedProcessor, job: JobInfo, run: JobRun, reporter: Reporter): Promise<unknown> {
	try {
		return Promise.resolve(processor.run(job, new Context(run, reporter)));
	} catch (error) {
		// A processor that throws synchronously still fails as a rejection.
		return Promise.reject(error);
	}
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

async function isolated(mode: 'thread' | 'process', processor: LoadedProcessor, job: JobInfo, signal: AbortSignal, reporter: Reporter): Promise<unknown> {
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
			if (message.type === 'log') void reporter.log(message.line).catch(() => undefined);
			else if (message.type === 'progress') void reporter.updateProgress(message.value).catch(() => undefined);
			else if (message.type === 'done') finish(undefined, message.result, true);
			else finish(Object.assign(new Error(message.message), {name: message.name, stack: message.stack ?? message.message}), undefined, true);
		}, error => finish(error));
		// At the timeout (or the shutdown deadline) the runner is terminated, not asked:
		// the point of isolation is that blocking code stops.
		signal.addEventListener('abort', () => finish(signal.reason instanceof Error ? signal.reason : new Error('aborted')), {once: true});
		runner.send({type: 'start', module: processor.module, job});
	});
}
