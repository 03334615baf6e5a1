/**
 * `events [--queue Q]`: live queue events from every queue on one blocking
 * connection. NDJSON with --json; Ctrl-C stops cleanly.
 */
import {listFlag, type CommandSpec, type Context} from '../command.js';
import {followEvents, type QueueEvent} from '../data/events.js';
import {knownQueues, resolveQueues} from '../data/queues.js';
import {sanitizeLine} from '../common/sanitize.js';
import {printJsonLine} from '../output/json.js';
import {cyan, dim, green, red, yellow} from '../output/color.js';
import {eventParts, eventTone} from '../present/event-rows.js';
import {someNames} from '../util/names.js';
import {onSignals} from '../util/signals.js';

export const spec: CommandSpec = {
	name: 'events',
	summary: 'Follow live queue events (added, active, completed, failed, stalled, …) until Ctrl-C.',
	usage: ['events [--queue Q,…] [--json]'],
	options: {
		queue: {type: 'string', multiple: true, value: 'Q', description: 'only these queues (default: every known queue)'},
	},
};

const colours = {bad: red, good: green, wait: yellow, other: cyan};

function line(event: QueueEvent, timeZone: string): string {
	const parts = eventParts(event, timeZone);
	return `${dim(parts.time)} ${sanitizeLine(parts.queue).padEnd(14)} ${colours[eventTone(event.event)](sanitizeLine(parts.event).padEnd(10))} ${parts.job ? `${sanitizeLine(parts.job)} ` : ''}${sanitizeLine(parts.details)}`;
}

export async function run(context: Context): Promise<number> {
	const control = await context.connect();
	const only = listFlag(context.flags, 'queue');
	const queues = only ? await resolveQueues(control, context.config, only) : await knownQueues(control, context.config);
	const connection = await context.connect('blocking');
	const abort = new AbortController();
	// A second Ctrl-C ends it at once.
	const releaseSignals = onSignals(() => abort.abort(), {once: true});
	if (!context.json) context.note(dim(sanitizeLine(`Following events of ${someNames(queues)} — Ctrl-C to stop.`)));
	try {
		await followEvents(connection, queues, event => {
			if (context.json) printJsonLine(event);
			else context.out(line(event, context.config.timezone));
		}, {signal: abort.signal});
	} finally {
		releaseSignals();
	}
	return 0;
}
