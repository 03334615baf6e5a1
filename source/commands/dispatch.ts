/**
 * `dispatch <queue> <name> [--data JSON|@file]`: enqueue a job, e.g. the
 * seed's events `approval.processed` or `loan.approved`.
 */
import {readFileSync} from 'node:fs';
import {expectArgs, intFlag, stringFlag, type CommandSpec, type Context} from '../command.js';
import {dispatchJob} from '../data/actions.js';
import {resolveQueues} from '../data/queues.js';
import {UserError} from '../errors.js';
import {parseDuration} from '../util/duration.js';
import {dryRunOf, guardWrite, report, writeOptions} from './act.js';

export const spec: CommandSpec = {
	name: 'dispatch',
	summary: 'Enqueue one job with JSON data (queue tries and backoff from the config).',
	usage: ['dispatch <queue> <name> [--data JSON|@file] [--delay D] [--priority N] [--job-id ID]'],
	replaces: 'event(new LoanApproved(…)) / dispatch(new Job(…))',
	writes: true,
	options: {
		data: {type: 'string', value: 'JSON', description: 'job data as JSON, or @path to read it from a file (default {})'},
		delay: {type: 'string', value: 'D', description: 'run after D (90s, 15m)'},
		priority: {type: 'string', value: 'N', description: '1 (highest) … 2097151'},
		'job-id': {type: 'string', value: 'ID', description: 'a custom job id (no ":"); an existing id is not added twice'},
		...writeOptions,
	},
};

function readData(text: string | undefined): unknown {
	if (text === undefined) return {};
	let source = text;
	if (text.startsWith('@')) {
		try {
			source = readFileSync(text.slice(1), 'utf8');
		} catch (error) {
			throw new UserError('usage', `cannot read --data file ${text.slice(1)}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, 'give a readable JSON file');
		}
	}
	try {
		return JSON.parse(source);
	} catch (error) {
		throw new UserError('usage', `--data is not valid JSON: ${(error as Error).message}`, 'e.g. --data \'{"loanId": 42}\'');
	}
}

export async function run(context: Context): Promise<number> {
	expectArgs(context, spec, 2);
	const data = readData(stringFlag(context.flags, 'data'));
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
