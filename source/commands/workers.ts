/**
 * `workers`: every live worker on every host (ps aux | grep "artisan queue",
 * for the whole fleet). `workers pause|resume|stop <id|host|queue>` controls
 * them through Redis.
 */
import {expectArgs, type CommandSpec, type Context} from '../command.js';
import {knownQueues} from '../data/queues.js';
import {listWorkers, sendControl, type ControlCommand} from '../data/workers.js';
import {UserError} from '../errors.js';
import {printJson} from '../output/json.js';
import {renderTable} from '../output/table.js';
import {foreignHead, foreignRow, processHead, processRow} from '../present/process-rows.js';
import {dryRunOf, guardWrite, report, writeOptions} from './act.js';

export const spec: CommandSpec = {
	name: 'workers',
	summary: 'Every live worker on every host; pause, resume or stop them through Redis.',
	usage: ['workers [--json]', 'workers pause|resume|stop <id|host|queue|all>'],
	replaces: 'ps aux | grep "artisan queue" | grep -v grep',
	writes: true,
	options: {...writeOptions},
};

async function list(context: Context): Promise<number> {
	const connection = await context.connect();
	const queues = await knownQueues(connection, context.config);
	const {processes, foreign} = await listWorkers(connection, queues);
	if (context.json) {
		printJson({workers: processes, foreign});
		return 0;
	}
	if (processes.length === 0 && foreign.length === 0) {
		context.out('No live workers. Start one with `saccos-queue worker` (or `saccos-queue services start all`).');
		return 0;
	}
	if (processes.length > 0) {
		context.out(renderTable(processHead, processes.map(entry => processRow(entry))));
	}
	if (foreign.length > 0) {
		context.out(`\nOther BullMQ workers (not started by saccos-queue):\n${renderTable(foreignHead, foreign.map(foreignRow))}`);
	}
	return 0;
}

export async function run(context: Context): Promise<number> {
	const [sub, target] = context.args;
	if (sub === undefined) return list(context);
	if (!['pause', 'resume', 'stop'].includes(sub)) {
		throw new UserError('usage', `unknown workers subcommand "${sub}"`, 'use: workers | workers pause|resume|stop <id|host|queue|all>');
	}
	expectArgs(context, spec, 2);
	const connection = await context.connect();
	await guardWrite(context, connection, {action: `workers-${sub}`, queue: target!, destructive: false, summary: ''});
	if (dryRunOf(context)) {
		const {processes} = await listWorkers(connection, []);
		const {matchesTarget} = await import('../data/workers.js');
		const matched = processes.filter(entry => matchesTarget(entry, target!));
		return report(context, connection, [{queue: target!, action: `workers-${sub}`, count: matched.length, dryRun: true, workers: matched.map(entry => entry.id)}], result => `would ${sub} ${result.count} process(es)`);
	}
	const matched = await sendControl(connection, sub as ControlCommand, target!);
	const code = await report(context, connection, [{queue: target!, action: `workers-${sub}`, count: matched.length, dryRun: false, workers: matched.map(entry => entry.id)}], result => `sent ${sub} to ${result.count} process(es)${result.count > 0 ? ':' : ''}`);
	// Which ones: a row each (`workers stop all` can reach hundreds).
	if (!context.json && matched.length > 0) context.out(renderTable(['ID', 'HOST'], matched.map(entry => [entry.id, entry.host]), {maxWidth: 200}));
	return code;
}
