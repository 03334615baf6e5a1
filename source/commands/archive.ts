/**
 * `archive --older-than 30d [--queue Q] [--to FILE]`: the seed's
 * failed_jobs_archive snippet — written and fsynced before anything is removed.
 */
import {listFlag, stringFlag, type CommandSpec, type Context} from '../command.js';
import {archiveFailed} from '../data/archive.js';
import {knownQueues, resolveQueues} from '../data/queues.js';
import {eachQueue, guardWrite, report, writeOptions} from './act.js';
import {durationFlag} from './flush.js';

export const spec: CommandSpec = {
	name: 'archive',
	summary: 'Move failed jobs older than D to a JSON-lines archive file, then delete them.',
	usage: ['archive --older-than 30d [--queue Q,…] [--to FILE] [--yes] [--dry-run]'],
	replaces: 'DB::table(\'failed_jobs_archive\')->insert(…); DB::table(\'failed_jobs\')->where(\'failed_at\', \'<\', now()->subDays(30))->delete()',
	writes: true,
	options: {
		'older-than': {type: 'string', value: 'D', description: 'jobs that failed more than D ago (required: 30d, 12h, 0s for all)'},
		queue: {type: 'string', multiple: true, value: 'Q', description: 'only these queues (default: every known queue)'},
		to: {type: 'string', value: 'FILE', description: 'archive file, appended to (default ./saccos-queue-archive-<date>.jsonl)'},
		...writeOptions,
	},
};

export async function run(context: Context): Promise<number> {
	const olderThan = durationFlag(context, 'older-than', true);
	const file = stringFlag(context.flags, 'to') ?? `saccos-queue-archive-${new Date().toISOString().slice(0, 10)}.jsonl`;
	const connection = await context.connect();
	const only = listFlag(context.flags, 'queue');
	const queues = only ? await resolveQueues(connection, context.config, only) : await knownQueues(connection, context.config);
	await guardWrite(context, connection, {action: 'archive', queue: queues.length === 1 ? queues[0]! : null, destructive: true, summary: `Archive to ${file}, then delete, the failed jobs of ${queues.join(', ')} older than ${stringFlag(context.flags, 'older-than')}.`});
	const results = await eachQueue(context, queues, 'archive', async (queue, options) => archiveFailed(connection, queue, olderThan, file, options));
	return report(context, connection, results, result => `${result.dryRun ? 'would archive' : 'archived'} ${result.count} failed job(s) of ${result.queue} ${result.dryRun ? 'to' : 'into'} ${file}`);
}
