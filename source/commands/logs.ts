/**
 * `logs [<name>|all] [-f] [-n N] [--since T] [--job <queue>/<id>]`:
 * journalctl -u … -f and tail -f scheduler.log, for every service.
 * `--job` shows the lines of the worker that ran that job, around its run.
 */
import {intFlag, stringFlag, type CommandSpec, type Context} from '../command.js';
import {sanitizeLine} from '../common/sanitize.js';
import {UserError} from '../errors.js';
import {printJsonLine} from '../output/json.js';
import {dim, red, yellow} from '../output/color.js';
import {formatTime, parseZonedTime} from '../present/format.js';
import {formatLogLine} from '../present/process-rows.js';
import {lineFacts} from '../common/log-line.js';
import type {LogLine} from '../process/logs.js';
import {jobLogWindow} from '../process/logs.js';
import {parseDuration} from '../util/duration.js';
import {onSignals} from '../util/signals.js';
import {childArgsOf} from './supervise.js';

export const spec: CommandSpec = {
	name: 'logs',
	summary: 'Process logs of the workers and the scheduler; follow them; or the lines around one job.',
	usage: ['logs [<name>|all] [-f] [-n N] [--since 1h] [--json]', 'logs --job <queue>/<id>'],
	replaces: 'journalctl -u saccos-queue-worker.service -f; tail -f storage/logs/scheduler.log',
	options: {
		follow: {type: 'boolean', short: 'f', description: 'keep printing new lines until Ctrl-C'},
		lines: {type: 'string', short: 'n', value: 'N', description: 'the last N lines (default 50)'},
		since: {type: 'string', value: 'T', description: 'lines from the last T (90s, 15m, 2h, 1d), or since a time as the lines show it ("2026-11-28 10:00", in the config\'s time zone) or an ISO time with its zone'},
		job: {type: 'string', value: 'Q/ID', description: 'the worker lines around that job\'s run'},
	},
};

/** A duration back from now, a time as the lines show it (in the config's zone), or an ISO time with its zone. */
function sinceOf(text: string | undefined, timeZone: string): number | undefined {
	if (text === undefined) return undefined;
	const duration = parseDuration(text);
	if (duration !== undefined) return Date.now() - duration;
	const zoned = parseZonedTime(text, timeZone);
	if (zoned !== undefined) return zoned;
	const time = Date.parse(text);
	if (Number.isFinite(time)) return time;
	throw new UserError('usage', `--since "${text}" is neither a duration nor a time`, 'e.g. --since 15m or --since 2026-11-28T10:00:00Z');
}

const LEVEL_COLORS: Record<string, (text: string) => string> = {WARN: yellow, ERROR: red, FATAL: red};

/**
 * How a line is printed. `--json`: the line's object with the worker's JSON
 * fields parsed (`fields`; null for a line that is not a JSON object, such as
 * a stack trace). On a terminal: the console's readable form (time, service,
 * level, message, job, error). Piped without --json: the raw line after its
 * time and service, every field kept, for grep and for files.
 */
function lineWriter(context: Context): (line: LogLine) => void {
	const zone = context.config.timezone;
	if (context.json) {
		return line => {
			const fields = lineFacts(line.text).fields;
			printJsonLine({...line, fields: fields !== null && typeof fields === 'object' && !Array.isArray(fields) ? fields : null});
		};
	}
	if (!context.interactive) return line => context.out(`${dim(`${formatTime(line.time, zone)} ${line.service}`)} ${sanitizeLine(line.text)}`);
	return line => {
		const parts = formatLogLine(line, zone);
		const level = parts.level === null ? '' : `${(LEVEL_COLORS[parts.level] ?? (text => text))(sanitizeLine(parts.level))} `;
		context.out(`${dim(sanitizeLine(`${parts.time} ${parts.service}`))} ${level}${sanitizeLine(parts.body)}`);
	};
}

export async function run(context: Context): Promise<number> {
	if (context.args.length > 1) throw new UserError('usage', `logs takes one service name, got "${context.args[1]}"`, 'e.g. `saccos-queue logs worker@high -f`');
	const {openController} = await import('../process/controller.js');
	const controller = await openController(context.config, childArgsOf(context.flags));
	let name = context.args[0] ?? 'all';
	let sinceMs = sinceOf(stringFlag(context.flags, 'since'), context.config.timezone);
	// A time window shows all of it unless -n says otherwise.
	let lines: number | undefined = sinceMs !== undefined && context.flags['lines'] === undefined ? undefined : intFlag(context.flags, 'lines', 50, 1, 100_000);
	let untilMs: number | undefined;
	let filter: ((line: LogLine) => boolean) | undefined;
	const jobRef = stringFlag(context.flags, 'job');
	if (jobRef !== undefined) {
		const slash = jobRef.indexOf('/');
		if (slash <= 0 || slash === jobRef.length - 1) throw new UserError('usage', `--job "${jobRef}" is not <queue>/<id>`, 'e.g. --job emails/42');
		const queueName = jobRef.slice(0, slash);
		const id = jobRef.slice(slash + 1);
		const [{resolveQueues}, {getJob, ROW_FIELD_BYTES}] = await Promise.all([import('../data/queues.js'), import('../data/jobs.js')]);
		const connection = await context.connect();
		const [queue] = await resolveQueues(connection, context.config, [queueName]);
		// Only its times and worker are needed: none of a large job's data.
		const job = await getJob(connection, queue!, id, {fieldBytes: ROW_FIELD_BYTES});
		const window = jobLogWindow({...job, queue: queue!, id});
		if (!window) throw new UserError('usage', `job ${jobRef} has not run yet (state ${job.state})`, 'its worker lines appear once a worker takes it');
		sinceMs = window.sinceMs;
		untilMs = window.untilMs;
		lines = undefined;
		name = 'all';
		filter = window.matches;
	}
	const abort = new AbortController();
	// A second Ctrl-C ends it at once.
	const releaseSignals = onSignals(() => abort.abort(), {once: true});
	const print = lineWriter(context);
	try {
		await controller.logs(name, {...(lines === undefined ? {} : {lines}), ...(sinceMs === undefined ? {} : {sinceMs}), ...(untilMs === undefined ? {} : {untilMs}), follow: context.flags['follow'] === true, signal: abort.signal}, line => {
			if (filter && !filter(line)) return;
			print(line);
		});
	} finally {
		releaseSignals();
	}
	return 0;
}
