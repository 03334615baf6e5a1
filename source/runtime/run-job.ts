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
	/** Fires when the worker's shutdown grace runs out. */
	shutdown: AbortSignal;
};

/** Runs `processor` for `job`, rejecting with JobTimeoutError after `timeoutSeconds`. */
export async function runJob(processor: LoadedProcessor, isolation: Isolation, job: JobInfo, timeoutSeconds: number, hooks: RunHooks): Promise<unknown> {
	const controller = new AbortController();
	const abortOnShutdown = () => controller.abort(new Error('worker shutting down'));
	hooks.shutdown.addEventListener('abort', abortOnShutdown, {once: true});
	let timer: NodeJS.Timeout | undefined;
	const deadline = new Promise<never>((_, reject) => {
		timer = setTimeout(() => {
			const error = new JobTimeoutError(timeoutSeconds);
			controller.abort(error);
			reject(error);
		}, timeoutSeconds * 1000);
	});
	try {
		const work = isolation === 'none' ? inProcess(processor, job, controller.signal, hooks) : isolated(isolation, processor, job, controller.signal, hooks);
		// A processor that ignores the signal loses the race and is left behind.
		return await Promise.race([work, deadline]);
	} finally {
		clearTimeout(timer);
		hooks.shutdown.removeEventListener('abort', abortOnShutdown);
	}
}

async function inProcess(processor: LoadedProcessor, job: JobInfo, signal: AbortSignal, hooks: RunHooks): Promise<unknown> {
	const ctx: ProcessorContext = {signal, log: hooks.log, progress: hooks.progress};
	return processor.run(job, ctx);
}

type Message =
	| {type: 'log'; line: string}
	| {type: 'progress'; value: number | object}
	| {type: 'done'; result: unknown}
	| {type: 'error'; name: string; message: string; stack?: string};

async function isolated(mode: 'thread' | 'process', processor: LoadedProcessor, job: JobInfo, signal: AbortSignal, hooks: RunHooks): Promise<unknown> {
	return new Promise((resolve, reject) => {
		let settled = false;
		const finish = (error: Error | undefined, result?: unknown) => {
			if (settled) return;
			settled = true;
			stop();
			if (error) reject(error);
			else resolve(result);
		};
		const onMessage = (message: Message) => {
			if (message.type === 'log') void hooks.log(message.line);
			else if (message.type === 'progress') void hooks.progress(message.value);
			else if (message.type === 'done') finish(undefined, message.result);
			else finish(Object.assign(new Error(message.message), {name: message.name, stack: message.stack ?? message.message}));
		};
		let stop: () => void;
		if (mode === 'thread') {
			const thread = new Thread(entry, {workerData: {module: processor.module, job}});
			thread.on('message', onMessage);
			thread.on('error', error => finish(error));
			thread.on('exit', code => finish(new Error(`processor thread exited with code ${code}`)));
			stop = () => void thread.terminate();
			signal.addEventListener('abort', () => {
				thread.postMessage({type: 'abort'});
				// Terminate at once: the point of isolation is that blocking code stops.
				void thread.terminate();
			}, {once: true});
		} else {
			const child = fork(entry, [], {serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc']});
			child.on('message', onMessage);
			child.on('error', error => finish(error));
			child.on('exit', (code, killSignal) => finish(new Error(`processor process exited with ${killSignal ?? `code ${code}`}`)));
			child.send({type: 'start', module: processor.module, job});
			stop = () => {
				if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
			};
			signal.addEventListener('abort', () => child.kill('SIGKILL'), {once: true});
		}
	});
}
