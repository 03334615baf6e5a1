/**
 * `events [--queue Q]`: live queue events from every queue on one blocking
 * connection. NDJSON with --json; Ctrl-C stops cleanly.
 */
import {listFlag, type CommandSpec, type Context} from '../command.js';
import {followEvents, type QueueEvent} from '../data/events.js';
import {knownQueues, resolveQueues} from '../data/queues.js';
import {sanitizeLine} from '../data/sanitize.js';
import {printJsonLine} from '../output/json.js';
import {cyan, dim, green, red, yellow} from '../output/color.js';
import {formatTime} from '../present/format.js';

export const spec: CommandSpec = {
	name: 'events',
	summary: 'Follow live queue events (added, active, completed, failed, stalled, …) until Ctrl-C.',
	usage: ['events [--queue Q,…] [--json]'],
	options: {
		queue: {type: 'string', multiple: true, value: 'Q', description: 'only these queues (default: every known queue)'},
	},
};

const colour = (event: string): ((text: string) => string) => {
	if (event === 'failed' || event === 'stalled' || event === 'retries-exhausted') return red;
	if (event === 'completed') return green;
	if (event === 'delayed' || event === 'paused') return yellow;
	return cyan;
};

function line(event: QueueEvent, timeZone: string): string {
	const details = Object.entries(event.fields)
		.filter(([key]) => key !== 'prev')
		.map(([key, value]) => `${key}=${value.length > 120 ? `${value.slice(0, 119)}…` : value}`)
		.join(' ');
	const time = formatTime(event.time, timeZone).slice(11);
	return `${dim(time)} ${sanitizeLine(event.queue).padEnd(14)} ${colour(event.event)(sanitizeLine(event.event).padEnd(10))} ${event.jobId === null ? '' : `job ${sanitizeLine(event.jobId)} `}${sanitizeLine(details)}`;
}

export async function run(context: Context): Promise<number> {
	const control = await context.connect();
	const only = listFlag(context.flags, 'queue');
	const queues = only ? await resolveQueues(control, context.config, only) : await knownQueues(control, context.config);
	const connection = await context.connect('blocking');
	const abort = new AbortController();
	const stop = () => abort.abort();
	process.once('SIGINT', stop);
	process.once('SIGTERM', stop);
	if (!context.json) context.note(dim(sanitizeLine(`Following events of ${queues.join(', ')} — Ctrl-C to stop.`)));
	try {
		await followEvents(connection, queues, event => {
			if (context.json) printJsonLine(event);
			else context.out(line(event, context.config.timezone));
		}, {signal: abort.signal});
	} finally {
		process.off('SIGINT', stop);
		process.off('SIGTERM', stop);
	}
	return 0;
}
