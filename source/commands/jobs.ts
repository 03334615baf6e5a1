/**
 * `jobs <queue> --state S`: a page of jobs in one state, newest first; with
 * `--grep TEXT`, the jobs of the whole state (up to --max-scan) that hold
 * TEXT, and on stderr how much was searched.
 */
import {expectArgs, intFlag, stringFlag, type CommandSpec, type Context} from '../command.js';
import {getJobPage, MAX_PAGE, ROW_FIELD_BYTES} from '../data/jobs.js';
import {resolveQueues} from '../data/queues.js';
import {MAX_MATCHES, MAX_SCANNED_LIMIT, searchJobs} from '../data/search.js';
import {UserError} from '../errors.js';
import {JOB_STATES, type JobState, type JobSummary} from '../common/types.js';
import {printJson} from '../output/json.js';
import {renderTable} from '../output/table.js';
import {dataCell, formatTime} from '../present/format.js';
import {searchCoverage} from '../present/search-line.js';
import {sanitizeLine} from '../common/sanitize.js';
import {interruptible, progressLine} from './act.js';

export const spec: CommandSpec = {
	name: 'jobs',
	summary: 'A page of a queue\'s jobs in one state, newest first.',
	usage: ['jobs <queue> [--state S] [--limit N] [--offset K] [--json]', 'jobs <queue> [--state S] --grep TEXT [--max-scan N] [--limit N] [--json]'],
	options: {
		state: {type: 'string', short: 's', value: 'S', description: `${JOB_STATES.join(' | ')} (default waiting)`},
		limit: {type: 'string', value: 'N', description: `jobs per page (1-${MAX_PAGE}, default 50); with --grep, matches shown (default ${MAX_MATCHES})`},
		offset: {type: 'string', value: 'K', description: 'skip the first K (default 0)'},
		grep: {type: 'string', value: 'TEXT', description: 'search the whole state, in the order of the pages, for TEXT in id, name, failed reason or data (any case)'},
		'max-scan': {type: 'string', value: 'N', description: 'with --grep: look at N jobs at most (default limits.searchMaxScanned, 10000)'},
	},
};

export async function run(context: Context): Promise<number> {
	expectArgs(context, spec, 1);
	const state = stringFlag(context.flags, 'state') ?? 'waiting';
	if (context.flags['grep'] !== undefined) return grep(context, state);
	if (context.flags['max-scan'] !== undefined) throw new UserError('usage', '--max-scan goes with --grep', 'e.g. saccos-queue jobs emails --state failed --grep +255712345678 --max-scan 50000');
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
	context.out(jobsTable(page.state, page.jobs, context.config.timezone));
	const shown = page.jobs.length;
	context.out(`\n${offset + 1}-${offset + shown} of ${page.total} ${page.state} jobs in ${page.queue}${page.total > offset + shown ? ` (next page: --offset ${offset + shown})` : ''}.`);
	return 0;
}

/** The jobs table: what an operator reads first for the state (a failed job's reason). */
function jobsTable(state: JobState, jobs: readonly JobSummary[], timezone: string): string {
	const failed = state === 'failed';
	const finished = state === 'completed' || failed;
	return renderTable(
		['ID', 'NAME', 'ATTEMPTS', 'CREATED', finished ? 'FINISHED' : 'PROCESSED', failed ? 'REASON' : 'DATA'],
		jobs.map(job => [
			job.id,
			job.name,
			job.attemptsMade,
			formatTime(job.timestamp, timezone),
			formatTime(finished ? job.finishedOn : job.processedOn, timezone),
			failed ? (job.failedReason ?? '-') : dataCell(job),
		]),
		{maxWidth: 70},
	);
}

/**
 * `--grep TEXT`: the matches as the page's table (or its JSON, with `search`), and how
 * much was searched on stderr. Ctrl-C stops between two pages (exit 130), with what was found.
 */
async function grep(context: Context, state: string): Promise<number> {
	const text = stringFlag(context.flags, 'grep') ?? '';
	if (text.trim() === '') throw new UserError('usage', '--grep needs a text to search for', 'e.g. saccos-queue jobs sms --state failed --grep +255712345678');
	if (context.flags['offset'] !== undefined) throw new UserError('usage', '--offset does not go with --grep: a search reads the whole state', 'narrow it with a longer text, or see more with --limit');
	const maxScanned = intFlag(context.flags, 'max-scan', context.config.limits.searchMaxScanned, 1, MAX_SCANNED_LIMIT);
	const limit = intFlag(context.flags, 'limit', MAX_MATCHES, 1, MAX_PAGE);
	const connection = await context.connect();
	const [queue] = await resolveQueues(connection, context.config, [context.args[0]!]);
	const {signal, dispose} = interruptible(context);
	const progress = progressLine(context, `searching ${queue!} ${state}`);
	try {
		const result = await searchJobs(connection, queue!, state, text, {
			maxScanned, maxMatches: limit, signal,
			...(progress.onProgress ? {onProgress: ({scanned, total}) => progress.onProgress?.({done: scanned, total: Math.min(total, maxScanned)})} : {}),
		});
		progress.done();
		const {matches, queue: name, state: searched, ...search} = result;
		if (context.json) {
			printJson({queue: name, state: searched, total: result.total, offset: 0, limit, jobs: matches, search});
		} else {
			if (matches.length > 0) context.out(jobsTable(searched, matches, context.config.timezone));
			else context.out(sanitizeLine(`No ${searched} job in ${name} matches.`));
			const more = maxScanned < result.total ? `--max-scan ${Math.min(result.total, MAX_SCANNED_LIMIT)} searches them all` : undefined;
			context.note(searchCoverage({...result, shown: matches.length}, more));
		}
		return result.stoppedBy === 'signal' ? 130 : 0;
	} finally {
		dispose();
	}
}
