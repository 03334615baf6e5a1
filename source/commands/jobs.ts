/** `jobs <queue> --state S`: a page of jobs in one state, newest first. */
import {expectArgs, intFlag, stringFlag, type CommandSpec, type Context} from '../command.js';
import {getJobPage, MAX_PAGE, ROW_FIELD_BYTES} from '../data/jobs.js';
import {resolveQueues} from '../data/queues.js';
import {JOB_STATES} from '../shared/types.js';
import {printJson} from '../output/json.js';
import {renderTable} from '../output/table.js';
import {dataCell, formatTime} from '../present/format.js';

export const spec: CommandSpec = {
	name: 'jobs',
	summary: 'A page of a queue\'s jobs in one state, newest first.',
	usage: ['jobs <queue> [--state S] [--limit N] [--offset K] [--json]'],
	options: {
		state: {type: 'string', short: 's', value: 'S', description: `${JOB_STATES.join(' | ')} (default waiting)`},
		limit: {type: 'string', value: 'N', description: `jobs per page (1-${MAX_PAGE}, default 50)`},
		offset: {type: 'string', value: 'K', description: 'skip the first K (default 0)'},
	},
};

export async function run(context: Context): Promise<number> {
	expectArgs(context, spec, 1);
	const state = stringFlag(context.flags, 'state') ?? 'waiting';
	const limit = intFlag(context.flags, 'limit', 50, 1, MAX_PAGE);
	const offset = intFlag(context.flags, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
	const connection = await context.connect();
	const [queue] = await resolveQueues(connection, context.config, [context.args[0]!]);
	// A table row shows a line of each field; --json carries each job's data up to limits.jobPreviewBytes.
	const page = await getJobPage(connection, queue!, state, limit, offset, context.json ? context.config.limits.jobPreviewBytes : ROW_FIELD_BYTES);
	if (context.json) {
		printJson(page);
		return 0;
	}
	if (page.total === 0) {
		context.out(`No ${page.state} jobs in ${page.queue}.`);
		return 0;
	}
	const failed = page.state === 'failed';
	context.out(renderTable(
		['ID', 'NAME', 'ATTEMPTS', 'CREATED', page.state === 'completed' || failed ? 'FINISHED' : 'PROCESSED', failed ? 'REASON' : 'DATA'],
		page.jobs.map(job => [
			job.id,
			job.name,
			job.attemptsMade,
			formatTime(job.timestamp, context.config.timezone),
			formatTime(page.state === 'completed' || failed ? job.finishedOn : job.processedOn, context.config.timezone),
			failed ? (job.failedReason ?? '-') : dataCell(job),
		]),
		{maxWidth: 70},
	));
	const shown = page.jobs.length;
	context.out(`\n${offset + 1}-${offset + shown} of ${page.total} ${page.state} jobs in ${page.queue}${page.total > offset + shown ? ` (next page: --offset ${offset + shown})` : ''}.`);
	return 0;
}
