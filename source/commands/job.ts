/** `job <queue> <id>`: everything about one job, for working out why it failed. */
import {expectArgs, type CommandSpec, type Context} from '../command.js';
import {getJob} from '../data/jobs.js';
import {resolveQueues} from '../data/queues.js';
import {sanitizeText} from '../data/sanitize.js';
import {printJson} from '../output/json.js';
import {renderPairs} from '../output/table.js';
import {bold} from '../output/color.js';
import {formatTime} from '../present/format.js';

export const spec: CommandSpec = {
	name: 'job',
	summary: 'One job: data, options, error, stack trace, attempts and logs.',
	usage: ['job <queue> <id> [--json]'],
};

/** At most `max` lines of a block, saying how many were left out. */
function block(text: string, max = 60): string {
	const lines = sanitizeText(text, {multiline: true}).split('\n');
	const shown = lines.slice(0, max).map(line => `  ${line}`);
	if (lines.length > max) shown.push(`  … ${lines.length - max} more lines (see --json)`);
	return shown.join('\n');
}

const pretty = (value: unknown): string => JSON.stringify(value, null, 2) ?? 'undefined';

export async function run(context: Context): Promise<number> {
	expectArgs(context, spec, 2);
	const connection = await context.connect();
	const [queue] = await resolveQueues(connection, context.config, [context.args[0]!]);
	const job = await getJob(connection, queue!, context.args[1]!);
	if (context.json) {
		printJson(job);
		return 0;
	}
	const zone = context.config.timezone;
	context.out(renderPairs([
		['Queue', job.queue],
		['Id', job.id],
		['Name', job.name],
		['State', job.state],
		['Attempts', `${job.attemptsMade} made, ${job.attemptsStarted} started`],
		['Created', formatTime(job.timestamp, zone)],
		['Processed', formatTime(job.processedOn, zone)],
		['Finished', formatTime(job.finishedOn, zone)],
		['Delay', job.delay > 0 ? `${job.delay} ms` : '-'],
		['Priority', job.priority > 0 ? job.priority : '-'],
		['Parent', job.parent],
	]));
	context.out(`\n${bold('Data')}${job.dataError ? ` (${sanitizeText(job.dataError)})` : ''}`);
	context.out(block(job.dataError ? 'null' : pretty(job.data)));
	context.out(`\n${bold('Options')}`);
	context.out(block(pretty(job.opts), 20));
	if (job.failedReason) {
		context.out(`\n${bold('Failed reason')}`);
		context.out(block(job.failedReason, 10));
	}
	if (job.stacktrace.length > 0) {
		context.out(`\n${bold('Stack traces')} (newest last)`);
		context.out(block(job.stacktrace.join('\n---\n')));
	}
	if (job.returnvalue !== null && job.returnvalue !== undefined) {
		context.out(`\n${bold('Return value')}`);
		context.out(block(pretty(job.returnvalue), 20));
	}
	context.out(`\n${bold('Logs')} (${job.logs.total} line${job.logs.total === 1 ? '' : 's'}${job.logs.total > job.logs.lines.length ? `, newest ${job.logs.lines.length} shown` : ''})`);
	if (job.logs.lines.length > 0) context.out(block(job.logs.lines.join('\n'), 200));
	return 0;
}
