/**
 * `archive --older-than 30d [--queue Q] [--to FILE]`: the seed's
 * failed_jobs_archive snippet — written, fsynced and read back before
 * anything is removed.
 */
import {listFlag, stringFlag, type CommandSpec, type Context} from '../command.js';
import type {ActionResult} from '../data/actions.js';
import {ArchiveFile, archiveFailed} from '../data/archive.js';
import {appendAudit} from '../data/audit.js';
import {knownQueues, resolveQueues} from '../data/queues.js';
import {UserError, isUserError} from '../errors.js';
import {someNames} from '../util/names.js';
import {dryRunOf, eachQueue, guardWrite, report, writeOptions} from './act.js';
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
	const auditQueue = queues.length === 1 ? queues[0]! : null;
	await guardWrite(context, connection, {action: 'archive', queue: auditQueue, destructive: true, summary: `Archive to ${file}, then delete, the failed jobs of ${someNames(queues)} older than ${stringFlag(context.flags, 'older-than')}.`});
	const archive = new ArchiveFile(file);
	// Jobs archived and deleted so far, per queue: what a failure part-way must account for.
	const deleted = new Map<string, number>();
	let results: ActionResult[];
	try {
		if (!dryRunOf(context)) await archive.open();
		results = await eachQueue(context, queues, 'archive', async (queue, options) => archiveFailed(connection, queue, olderThan, archive, {
			...options,
			onProgress: progress => {
				deleted.set(queue, progress.done);
				options.onProgress?.(progress);
			},
		}));
	} catch (error) {
		if (!isUserError(error) || error.code !== 'io') throw error;
		const failure = partWay(error, deleted, archive);
		// Some jobs may be deleted already: the audit stream says what this run did either way.
		await appendAudit(connection, {action: 'archive', queue: auditQueue, count: sum(deleted), result: 'failed', message: failure.message}).catch(() => {});
		throw failure;
	} finally {
		await archive.close().catch(() => {});
	}
	return report(context, connection, results, result => `${result.dryRun ? 'would archive' : 'archived'} ${result.count} failed job(s) of ${result.queue} ${result.dryRun ? 'to' : 'into'} ${file}`);
}

const sum = (counts: ReadonlyMap<string, number>): number => [...counts.values()].reduce((total, count) => total + count, 0);

/** An I/O error part-way through, saying exactly which jobs are where: in the file and deleted, or untouched. */
function partWay(error: UserError, deleted: ReadonlyMap<string, number>, archive: ArchiveFile): UserError {
	const total = sum(deleted);
	const perQueue = [...deleted].filter(([, count]) => count > 0).map(([queue, count]) => `${queue}: ${count}`).join(', ');
	const what = total === 0
		? `nothing was deleted${archive.state ? `; ${archive.state}` : ''}`
		: `${total} job(s) were archived and deleted before that (${perQueue}); ${archive.state ?? `${archive.path} holds them`}; every other failed job is untouched`;
	return new UserError('io', `${error.message}; ${what}`, error.hint, {cause: error});
}
