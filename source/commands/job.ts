/**
 * `job <queue> <id>`: everything about one job, for working out why it failed.
 *
 * The table shows at most 60 lines of each field, so it reads each large
 * field only up to limits.jobPreviewBytes (and says so, with the full size):
 * a job of 20 MB prints as fast as one of 2 KB. `--json` reads the job whole.
 */
import {expectArgs, type CommandSpec, type Context} from '../command.js';
import {getJob} from '../data/jobs.js';
import {resolveQueues} from '../data/queues.js';
import {sanitizeText} from '../common/sanitize.js';
import {printJson} from '../output/json.js';
import {renderPairs} from '../output/table.js';
import {bold} from '../output/color.js';
import {formatBytes, formatTime, utf8Bytes} from '../present/format.js';
import {prettyJsonLines} from '../util/json-text.js';

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

/** JSON text cut short (a large field's start), laid out as JSON.stringify would lay out the whole, at most `max` lines. */
function cutBlock(text: string | undefined, max = 60): string {
	if (!text) return '  (too large to preview)';
	const {lines} = prettyJsonLines(text, max);
	return [...lines.map(line => `  ${sanitizeText(line)}`), '  … (cut here)'].join('\n');
}

export async function run(context: Context): Promise<number> {
	expectArgs(context, spec, 2);
	const connection = await context.connect();
	const [queue] = await resolveQueues(connection, context.config, [context.args[0]!]);
	const id = context.args[1]!;
	const job = await getJob(connection, queue!, id, context.json ? {} : {fieldBytes: context.config.limits.jobPreviewBytes});
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
	const whole = `saccos-queue job ${queue!} ${id} --json`;
	/** " (12.4 MB, cut to its first 64 KB here; `… --json` prints it whole)" */
	const cut = (bytes: number | undefined, shown: string | undefined) =>
		` (${formatBytes(bytes ?? 0)}, ${shown ? `cut to its first ${formatBytes(utf8Bytes(shown))} here` : 'too large to preview'}; \`${sanitizeText(whole)}\` prints it whole)`;
	if (job.dataTruncated) {
		context.out(`\n${bold('Data')}${cut(job.dataBytes, job.dataPreview)}`);
		context.out(cutBlock(job.dataPreview));
	} else {
		context.out(`\n${bold('Data')}${job.dataError ? ` (${sanitizeText(job.dataError)})` : ''}`);
		context.out(block(job.dataError ? 'null' : pretty(job.data)));
	}
	context.out(`\n${bold('Options')}`);
	context.out(block(pretty(job.opts), 20));
	if (job.failedReason) {
		context.out(`\n${bold('Failed reason')}${job.failedReasonTruncated ? cut(job.failedReasonBytes, job.failedReason) : ''}`);
		context.out(block(job.failedReason, 10));
	}
	if (job.stacktrace.length > 0) {
		context.out(`\n${bold('Stack traces')} (newest last)${job.stacktraceTruncated ? cut(job.stacktraceBytes, job.stacktrace.join('')) : ''}`);
		context.out(block(job.stacktrace.join('\n---\n')));
	}
	if (job.returnvalueTruncated) {
		context.out(`\n${bold('Return value')}${cut(job.returnvalueBytes, job.returnvaluePreview)}`);
		context.out(cutBlock(job.returnvaluePreview, 20));
	} else if (job.returnvalue !== null && job.returnvalue !== undefined) {
		context.out(`\n${bold('Return value')}`);
		context.out(block(pretty(job.returnvalue), 20));
	}
	context.out(`\n${bold('Logs')} (${job.logs.total} line${job.logs.total === 1 ? '' : 's'}${job.logs.total > job.logs.lines.length ? `, newest ${job.logs.lines.length} shown` : ''})`);
	if (job.logs.lines.length > 0) context.out(block(job.logs.lines.join('\n'), 200));
	return 0;
}
