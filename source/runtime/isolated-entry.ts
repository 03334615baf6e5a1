/**
 * The other side of `isolation: "thread" | "process"`: a pooled runner that
 * runs one job's processor at a time, in a worker thread or child process.
 * The worker terminates a runner at a job's timeout, so even a processor that
 * blocks its event loop stops; a runner that finishes in time is reused.
 */
import {parentPort} from 'node:worker_threads';
import type {JobInfo} from './processors.js';
import {loadProcessor} from './processors.js';

type Incoming = {type: 'start'; module: string; job: JobInfo} | {type: 'abort'};
type Outgoing =
	| {type: 'log'; line: string}
	| {type: 'progress'; value: number | object}
	| {type: 'done'; result: unknown}
	| {type: 'error'; name: string; message: string; stack?: string};

const send = (message: Outgoing): void => {
	if (parentPort) parentPort.postMessage(message);
	else process.send?.(message);
};

let controller = new AbortController();

async function start({module, job}: {module: string; job: JobInfo}): Promise<void> {
	controller = new AbortController();
	try {
		const processor = await loadProcessor(job.name, module);
		const result = await processor.run(job, {
			signal: controller.signal,
			log: async line => send({type: 'log', line}),
			progress: async value => send({type: 'progress', value}),
		});
		send({type: 'done', result: result === undefined ? null : result});
	} catch (error) {
		const err = error instanceof Error ? error : new Error(String(error));
		send({type: 'error', name: err.name, message: err.message, ...(err.stack ? {stack: err.stack} : {})});
	}
}

const onMessage = (message: Incoming) => {
	if (message.type === 'start') void start(message);
	else if (message.type === 'abort') controller.abort();
};

if (parentPort) parentPort.on('message', onMessage);
else {
	process.on('message', onMessage);
	// A parent that dies takes its children with it.
	process.on('disconnect', () => process.exit(1));
}
