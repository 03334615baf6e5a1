/** `failed [--queue Q]`: queue:failed — failed jobs across queues, newest first. */
import {sanitizeLine} from '../common/sanitize.js';
import {someNames} from '../util/names.js';
import {intFlag, listFlag, type CommandSpec, type Context} from '../command.js';
import {getFailedAcross, MAX_PAGE, ROW_FIELD_BYTES} from '../data/jobs.js';
import {knownQueues, resolveQueues} from '../data/queues.js';
import {printJson} from '../output/json.js';
import {renderTable} from '../output/table.js';
import {formatTime} from '../present/format.js';

export const spec: CommandSpec = {
	name: 'failed',
	summary: 'Failed jobs across queues, newest first.',
	usage: ['failed [--queue Q,…] [--limit N] [--offset K] [--json]'],
	replaces: 'php artisan queue:failed',
	options: {
		queue: {type: 'string', multiple: true, value: 'Q', description: 'only these queues'},
		limit: {type: 'string', value: 'N', description: `jobs per page (1-${MAX_PAGE}, default 50)`},
		offset: {type: 'string', value: 'K', description: 'skip the K newest (default 0)'},
	},
};

export async function run(context: Context): Promise<number> {
	const connection = await context.connect();
	const only = listFlag(context.flags, 'queue');
	const queues = only ? await resolveQueues(connection, context.config, only) : await knownQueues(connection, context.config);
	const limit = intFlag(context.flags, 'limit', 50, 1, MAX_PAGE);
	const offset = intFlag(context.flags, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
	// A table row shows a line of each field; --json carries each job's data up to limits.jobPreviewBytes.
	const page = await getFailedAcross(connection, queues, limit, offset, context.json ? context.config.limits.jobPreviewBytes : ROW_FIELD_BYTES);
	if (context.json) {
		printJson(page);
		return 0;
	}
	if (page.total === 0) {
		context.out(sanitizeLine(`No failed jobs in ${someNames(queues)}.`));
		return 0;
	}
	context.out(renderTable(
		['ID', 'QUEUE', 'NAME', 'FAILED AT', 'ATTEMPTS', 'REASON'],
		page.jobs.map(job => [job.id, job.queue, job.name, formatTime(job.finishedOn, context.config.timezone), job.attemptsMade, job.failedReason ?? '-']),
		{maxWidth: 70},
	));
	const shown = page.jobs.length;
	context.out(`\n${offset + 1}-${offset + shown} of ${page.total} failed jobs${page.total > offset + shown ? ` (next page: --offset ${offset + shown})` : ''}. Inspect one with \`saccos-queue job <queue> <id>\`.`);
	return 0;
}
