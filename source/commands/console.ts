/**
 * `saccos-queue` on a terminal (or `console`): the interactive console, the
 * `watch …` one-liners' replacement. Ink and React load only here, so no
 * other command pays for them.
 */
import type {CommandSpec, Context} from '../command.js';
import {UserError} from '../errors.js';
import {parseDuration} from '../util/duration.js';
import {childArgsOf} from './supervise.js';

export const spec: CommandSpec = {
	name: 'console',
	summary: 'The interactive console: queues, jobs, workers, schedules, services and logs, live.',
	usage: ['saccos-queue [--redis URL] [--read-only]', 'console [--view queues|jobs|workers|schedules|services|logs|events] [--queue Q]'],
	replaces: 'watch -n 5 "php artisan queue:monitor …", watch "ps aux | grep artisan"',
	options: {
		view: {type: 'string', value: 'VIEW', description: 'the view to open first: queues (default), jobs, workers, schedules, services, logs, events'},
		queue: {type: 'string', value: 'Q', description: 'with --view jobs: the queue to open'},
		refresh: {type: 'string', value: 'D', description: 'how often the views read Redis again (default 2s; 500ms to 60s); Z freezes and resumes'},
	},
};

const VIEWS = ['queues', 'jobs', 'workers', 'schedules', 'services', 'logs', 'events'] as const;

export async function run(context: Context): Promise<number> {
	// The flags first: a mistake in them is said the same way with or without a terminal.
	const view = typeof context.flags['view'] === 'string' ? context.flags['view'] : 'queues';
	if (!(VIEWS as readonly string[]).includes(view)) throw new UserError('usage', `unknown view "${view}"`, `views: ${VIEWS.join(', ')}`);
	const queue = typeof context.flags['queue'] === 'string' ? context.flags['queue'] : undefined;
	const refreshMs = refreshOf(context.flags['refresh']);
	if (!process.stdin.isTTY || !process.stdout.isTTY) {
		throw new UserError('usage', 'the console needs a terminal', 'for scripts use `saccos-queue status --json` (and the other read commands)');
	}
	// Before the console's modules load: what they leave behind would double V8's young generation four
	// times, and TurboFan compiling a once-a-second redraw costs more than it saves.
	(await import('../tui/console-tier.js')).tuneConsoleV8();
	const connection = await context.connect('console');
	const [{createConsoleApi}, {openConsole}, {probeWriteAccess}] = await Promise.all([import('../store/console-api.js'), import('../tui/load.js'), import('../data/access.js')]);
	// Asked once, before the first frame: a user that may not write sees READ-ONLY, not keys that fail.
	const access = context.config.readOnly ? undefined : await probeWriteAccess(connection, queue ?? context.config.queueOrder[0] ?? 'default');
	const api = createConsoleApi({
		connection,
		config: context.config,
		...(access ? {access} : {}),
		refreshMs,
		openController: async () => (await import('../process/controller.js')).openController(context.config, childArgsOf(context.flags)),
	});
	await openConsole(api, view === 'jobs' && queue ? {view: 'jobs', queue} : {view: view as (typeof VIEWS)[number]}, undefined, {noColor: context.flags['no-color'] === true});
	return 0;
}

/** --refresh: a duration from 500 ms to 60 s (a plain number is seconds). */
export function refreshOf(value: unknown): number {
	if (typeof value !== 'string') return 2000;
	const ms = /^\d+(\.\d+)?$/.test(value) ? Number(value) * 1000 : parseDuration(value);
	if (ms === undefined || !Number.isFinite(ms) || ms < 500 || ms > 60_000) throw new UserError('usage', `--refresh "${value}" is not a duration from 500ms to 60s`, 'e.g. --refresh 5s, --refresh 500ms, --refresh 1');
	return Math.round(ms);
}
