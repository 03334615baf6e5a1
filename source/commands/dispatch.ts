/**
 * `dispatch <queue> <name> [--data JSON|@file]`: enqueue a job, e.g. the
 * seed's events `approval.processed` or `loan.approved`.
 *
 * Data larger than limits.maxJobDataBytes (512 KB by default) is refused: Redis
 * would take 50 MB, but every worker fetch, retry and kept completed job then
 * copies it, and job data in megabytes means a payload that belongs elsewhere.
 */
import {readFileSync, statSync} from 'node:fs';
import {expectArgs, intFlag, stringFlag, type CommandSpec, type Context} from '../command.js';
import {dispatchJob} from '../data/actions.js';
import {resolveQueues} from '../data/queues.js';
import type {Config} from '../config.js';
import {UserError} from '../errors.js';
import {formatBytes} from '../present/format.js';
import {parseDuration} from '../util/duration.js';
import {dryRunOf, guardWrite, report, writeOptions} from './act.js';

export const spec: CommandSpec = {
	name: 'dispatch',
	summary: 'Enqueue one job with JSON data (queue tries and backoff from the config).',
	usage: ['dispatch <queue> <name> [--data JSON|@file] [--delay D] [--priority N] [--job-id ID]'],
	replaces: 'event(new LoanApproved(…)) / dispatch(new Job(…))',
	writes: true,
	options: {
		data: {type: 'string', value: 'JSON', description: 'job data as JSON, or @path to read it from a file (default {}; at most limits.maxJobDataBytes, 512 KB)'},
		delay: {type: 'string', value: 'D', description: 'run after D (90s, 15m)'},
		priority: {type: 'string', value: 'N', description: '1 (highest) … 2097151'},
		'job-id': {type: 'string', value: 'ID', description: 'a custom job id (no ":"); an existing id is not added twice'},
		...writeOptions,
	},
};

/** Whitespace may make a file larger than its data, but not this many times: such a file is refused unread. */
const FILE_SLACK = 64;

function tooLarge(what: string, bytes: number, config: Config): UserError {
	const cap = config.limits.maxJobDataBytes;
	const where = config.file ? `"limits": {"maxJobDataBytes": …} in ${config.file}` : 'limits.maxJobDataBytes in the config file';
	return new UserError(
		'too-large',
		`${what} is ${formatBytes(bytes)} (${bytes.toLocaleString('en-US')} bytes); a job's data may be at most ${formatBytes(cap)} (${cap.toLocaleString('en-US')} bytes)`,
		`store the payload elsewhere (a file, a database row, object storage) and pass a reference such as {"reportId": 42}; or raise ${where}`,
	);
}

function readData(text: string | undefined, config: Config): unknown {
	if (text === undefined) return {};
	let source = text;
	if (text.startsWith('@')) {
		const size = (() => {
			try {
				return statSync(text.slice(1)).size;
			} catch {
				return 0; // the read below says why
			}
		})();
		if (size > config.limits.maxJobDataBytes * FILE_SLACK) throw tooLarge(`the --data file ${text.slice(1)}`, size, config);
		try {
			source = readFileSync(text.slice(1), 'utf8');
		} catch (error) {
			throw new UserError('usage', `cannot read --data file ${text.slice(1)}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, 'give a readable JSON file');
		}
	}
	let data: unknown;
	try {
		data = JSON.parse(source);
	} catch (error) {
		throw new UserError('usage', `--data is not valid JSON: ${(error as Error).message}`, 'e.g. --data \'{"loanId": 42}\'');
	}
	// What Redis will hold: BullMQ stores JSON.stringify(data), whatever the spacing given.
	const bytes = Buffer.byteLength(JSON.stringify(data) ?? '');
	if (bytes > config.limits.maxJobDataBytes) throw tooLarge('--data', bytes, config);
	return data;
}

export async function run(context: Context): Promise<number> {
	expectArgs(context, spec, 2);
	const data = readData(stringFlag(context.flags, 'data'), context.config);
	const delayText = stringFlag(context.flags, 'delay');
	const delayMs = delayText === undefined ? undefined : parseDuration(delayText);
	if (delayText !== undefined && delayMs === undefined) throw new UserError('usage', `--delay "${delayText}" is not a duration`, 'write it like 90s or 15m');
	const priority = context.flags['priority'] === undefined ? undefined : intFlag(context.flags, 'priority', 1, 1, 2_097_151);
	const jobId = stringFlag(context.flags, 'job-id');
	if (jobId !== undefined && (jobId === '' || jobId.includes(':') || /^\d+$/.test(jobId))) {
		throw new UserError('usage', `--job-id "${jobId}" is not allowed`, 'use a non-numeric id without ":" (numeric ids belong to BullMQ\'s counter)');
	}
	const connection = await context.connect();
	const [queue] = await resolveQueues(connection, context.config, [context.args[0]!]);
	const settings = context.config.queues[queue!];
	await guardWrite(context, connection, {action: 'dispatch', queue: queue!, destructive: false, summary: ''});
	const result = await dispatchJob(connection, queue!, {
		name: context.args[1]!,
		data,
		...(delayMs === undefined ? {} : {delayMs}),
		...(priority === undefined ? {} : {priority}),
		...(jobId === undefined ? {} : {jobId}),
		...(settings ? {attempts: settings.tries, ...(settings.backoff ? {backoff: settings.backoff} : {})} : {}),
	}, {dryRun: dryRunOf(context)});
	return report(context, connection, [result], done => `${done.dryRun ? 'would dispatch' : 'dispatched'} ${context.args[1]} to ${queue}${done['jobId'] ? ` as job ${String(done['jobId'])}` : ''}`);
}
