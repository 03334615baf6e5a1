/**
 * The other side of `isolation: "thread" | "process"`: runs one job's
 * processor in a worker thread or child process that the worker terminates
 * at the job's timeout, so even a processor that blocks its event loop stops.
 */
import {parentPort, workerData} from 'node:worker_threads';
import type {JobInfo} from './processors.js';
import {loadProcessor} from './processors.js';

type Start = {module: string; job: JobInfo};
type Outgoing =
	| {type: 'log'; line: string}
	| {type: 'progress'; value: number | object}
	| {type: 'done'; result: unknown}
	| {type: 'error'; name: string; message: string; stack?: string};

const send = (message: Outgoing): void => {
	if (parentPort) parentPort.postMessage(message);
	else process.send?.(message);
};

const controller = new AbortController();

async function start({module, job}: Start): Promise<void> {
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

if (parentPort) {
	parentPort.on('message', (message: {type: string}) => {
		if (message.type === 'abort') controller.abort();
	});
	void start(workerData as Start);
} else {
	process.on('message', (message: {type: string} & Partial<Start>) => {
		if (message.type === 'start') void start(message as Start);
		else if (message.type === 'abort') controller.abort();
	});
	// A parent that dies takes its children with it.
	process.on('disconnect', () => process.exit(1));
}
