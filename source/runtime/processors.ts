/**
 * Processors: a job name maps to a module (config `processors`) whose default
 * export is `async (job, ctx) => result`. A module may also export `schema`,
 * any Standard Schema (valibot, zod, arktype…): data that fails it fails the
 * job at once, without retries, with a reason naming the field.
 */
import {pathToFileURL} from 'node:url';

/** What a processor receives: plain data, the same in every isolation mode. */
export type JobInfo = {
	id: string;
	name: string;
	queue: string;
	data: unknown;
	attemptsMade: number;
	timestamp: number;
	opts: Record<string, unknown>;
};

export type ProcessorContext = {
	/** Fires on timeout, and when a shutdown's grace period runs out. */
	signal: AbortSignal;
	/** Appends a line to the job's BullMQ log. */
	log(line: string): Promise<void>;
	progress(value: number | object): Promise<void>;
};

export type Processor = (job: JobInfo, ctx: ProcessorContext) => Promise<unknown> | unknown;

type StandardSchema = {
	'~standard': {validate(value: unknown): {issues?: ReadonlyArray<{message: string; path?: ReadonlyArray<PropertyKey | {key: PropertyKey}>}>} | Promise<unknown>};
};

export type LoadedProcessor = {name: string; module: string; run: Processor; schema?: StandardSchema};

const cache = new Map<string, Promise<LoadedProcessor>>();

/** Imports (once) the processor module configured for `jobName`. */
export async function loadProcessor(jobName: string, module: string): Promise<LoadedProcessor> {
	let loaded = cache.get(module);
	if (!loaded) {
		loaded = import(pathToFileURL(module).href).then((exports: Record<string, unknown>) => {
			const run = (exports['default'] ?? exports['process']) as Processor | undefined;
			if (typeof run !== 'function') throw new Error(`processor module ${module} has no default export function`);
			const schema = exports['schema'] as StandardSchema | undefined;
			return {name: jobName, module, run, ...(schema && typeof schema === 'object' && '~standard' in schema ? {schema} : {})};
		});
		cache.set(module, loaded);
		loaded.catch(() => cache.delete(module));
	}
	return loaded;
}

/** Checks data against the processor's schema; returns a reason naming the field, or undefined. */
export async function validateData(processor: LoadedProcessor, data: unknown): Promise<string | undefined> {
	if (!processor.schema) return undefined;
	const result = (await processor.schema['~standard'].validate(data)) as {issues?: ReadonlyArray<{message: string; path?: ReadonlyArray<PropertyKey | {key: PropertyKey}>}>};
	const issue = result.issues?.[0];
	if (!issue) return undefined;
	const path = (issue.path ?? []).map(part => String(typeof part === 'object' && part !== null && 'key' in part ? part.key : part)).join('.');
	return `invalid job data${path ? ` at "${path}"` : ''}: ${issue.message}`;
}
