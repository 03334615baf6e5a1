/** `flush [--queue Q] [--older-than D]`: queue:flush — delete failed jobs, in bounded batches. */
import {listFlag, stringFlag, type CommandSpec, type Context} from '../command.js';
import {cleanJobs} from '../data/actions.js';
import {knownQueues, resolveQueues} from '../data/queues.js';
import {UserError} from '../errors.js';
import {parseDuration} from '../util/duration.js';
import {someNames} from '../util/names.js';
import {eachQueue, guardWrite, report, writeOptions} from './act.js';

export const spec: CommandSpec = {
	name: 'flush',
	summary: 'Delete failed jobs (all known queues, or --queue), optionally only those older than D.',
	usage: ['flush [--queue Q,…] [--older-than 30d] [--yes] [--dry-run]'],
	replaces: 'php artisan queue:flush',
	writes: true,
	options: {
		queue: {type: 'string', multiple: true, value: 'Q', description: 'only these queues'},
		'older-than': {type: 'string', value: 'D', description: 'only jobs that failed more than D ago (90s, 15m, 30d)'},
		...writeOptions,
	},
};

/** Reads a --older-than style flag (exit 2 when malformed). */
export function durationFlag(context: Context, name: string, required: boolean): number {
	const text = stringFlag(context.flags, name);
	if (text === undefined) {
		if (required) throw new UserError('usage', `--${name} is required`, `e.g. --${name} 30d`);
		return 0;
	}
	const ms = parseDuration(text);
	if (ms === undefined) throw new UserError('usage', `--${name} "${text}" is not a duration`, 'write it like 90s, 15m, 12h or 30d');
	return ms;
}

export async function run(context: Context): Promise<number> {
	const olderThan = durationFlag(context, 'older-than', false);
	const connection = await context.connect();
	const only = listFlag(context.flags, 'queue');
	const queues = only ? await resolveQueues(connection, context.config, only) : await knownQueues(connection, context.config);
	const age = olderThan > 0 ? ` that failed more than ${stringFlag(context.flags, 'older-than')} ago` : '';
	await guardWrite(context, connection, {action: 'flush', queue: queues.length === 1 ? queues[0]! : null, destructive: true, summary: `Delete every failed job${age} of ${someNames(queues)}.`});
	const results = await eachQueue(context, queues, 'flush', async (queue, options) => cleanJobs(connection, queue, 'failed', olderThan, options));
	return report(context, connection, results, result => `${result.dryRun ? 'would delete' : 'deleted'} ${result.count} failed job(s) in ${result.queue}`);
}
