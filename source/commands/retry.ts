/** `retry <queue> <id>…` / `retry --all [--queue Q]`: queue:retry — failed → waiting. */
import {listFlag, type CommandSpec, type Context} from '../command.js';
import {retryAllFailed, retryJobs, type ActionResult} from '../data/actions.js';
import {knownQueues, resolveQueues} from '../data/queues.js';
import {UserError} from '../errors.js';
import {someNames} from '../util/names.js';
import {dryRunOf, eachQueue, guardWrite, report, writeOptions} from './act.js';

export const spec: CommandSpec = {
	name: 'retry',
	summary: 'Move failed jobs back to waiting (prioritized jobs keep their priority; attempts are reset).',
	usage: ['retry <queue> <id>… [--dry-run]', 'retry --all [--queue Q,…] [--yes] [--dry-run]'],
	replaces: 'php artisan queue:retry {id} / queue:retry all',
	writes: true,
	options: {
		all: {type: 'boolean', description: 'every failed job (of --queue, else of every known queue)'},
		queue: {type: 'string', multiple: true, value: 'Q', description: 'with --all: only these queues'},
		...writeOptions,
	},
};

const human = (result: ActionResult): string => {
	const notFailed = (result['notFailed'] as string[] | undefined) ?? [];
	const skipped = notFailed.length > 0 ? `; not failed, left alone: ${notFailed.join(', ')}` : '';
	return `${result.dryRun ? 'would retry' : 'retried'} ${result.count} job(s) in ${result.queue}${skipped}`;
};

export async function run(context: Context): Promise<number> {
	const connection = await context.connect();
	const dryRun = dryRunOf(context);
	if (context.flags['all']) {
		if (context.args.length > 0) throw new UserError('usage', 'retry --all takes no job ids', 'use --queue to choose queues');
		const only = listFlag(context.flags, 'queue');
		const queues = only ? await resolveQueues(connection, context.config, only) : await knownQueues(connection, context.config);
		await guardWrite(context, connection, {action: 'retry', queue: queues.length === 1 ? queues[0]! : null, destructive: true, summary: `Retry every failed job of ${someNames(queues)}.`});
		const results = await eachQueue(context, queues, 'retry', async (queue, options) => retryAllFailed(connection, queue, options));
		return report(context, connection, results, human);
	}
	if (context.args.length < 2) {
		throw new UserError('usage', 'retry needs a queue and job ids, or --all', 'usage: saccos-queue retry <queue> <id>…  |  saccos-queue retry --all [--queue Q]');
	}
	if (context.flags['queue']) throw new UserError('usage', '--queue goes with --all', 'name the queue as the first argument: retry <queue> <id>…');
	const [name, ...ids] = context.args;
	const [queue] = await resolveQueues(connection, context.config, [name!]);
	await guardWrite(context, connection, {action: 'retry', queue: queue!, destructive: false, summary: ''});
	return report(context, connection, [await retryJobs(connection, queue!, ids, {dryRun})], human);
}
