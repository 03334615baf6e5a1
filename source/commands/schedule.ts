/**
 * `schedule list|run <id>|sync`: schedule:list, schedule:test and
 * schedule:run — next and last runs, missed runs, run one now, sync once.
 */
import {expectArgs, type CommandSpec, type Context} from '../command.js';
import {dispatchJob} from '../data/actions.js';
import {listSchedules} from '../data/schedules.js';
import {UserError} from '../errors.js';
import {printJson} from '../output/json.js';
import {renderTable} from '../output/table.js';
import {scheduleHead, scheduleRow} from '../present/process-rows.js';
import {dryRunOf, guardWrite, report, writeOptions} from './act.js';

export const spec: CommandSpec = {
	name: 'schedule',
	summary: 'Schedules with next/last run and missed runs; run one now; sync them to Redis once.',
	usage: ['schedule list [--json]', 'schedule run <id> [--dry-run]', 'schedule sync [--dry-run]'],
	replaces: 'php artisan schedule:list / schedule:test / schedule:run',
	writes: true,
	options: {...writeOptions},
};

async function list(context: Context): Promise<number> {
	const connection = await context.connect();
	const schedules = await listSchedules(connection, context.config);
	if (context.json) {
		printJson({timezone: context.config.timezone, schedules});
		return 0;
	}
	if (schedules.length === 0) {
		context.out('No schedules configured.');
		return 0;
	}
	context.out(renderTable(scheduleHead, schedules.map(status => scheduleRow(status))));
	return 0;
}

export async function run(context: Context): Promise<number> {
	const [sub, id] = context.args;
	if (sub === undefined || sub === 'list') {
		expectArgs(context, spec, 0, 1);
		return list(context);
	}
	const connection = await context.connect();
	if (sub === 'run') {
		expectArgs(context, spec, 2);
		const schedule = context.config.schedules.find(candidate => candidate.id === id);
		if (!schedule) throw new UserError('usage', `unknown schedule "${id}"`, `configured: ${context.config.schedules.map(candidate => candidate.id).join(', ') || 'none'}`);
		await guardWrite(context, connection, {action: 'schedule-run', queue: schedule.queue, destructive: false, summary: ''});
		const result = await dispatchJob(connection, schedule.queue, {name: schedule.name, data: schedule.data ?? {}}, {dryRun: dryRunOf(context)});
		return report(context, connection, [{...result, action: 'schedule-run', schedule: schedule.id}], done => `${done.dryRun ? 'would run' : 'ran'} ${schedule.id} now: job ${String(done['jobId'] ?? '-')} on ${schedule.queue}`);
	}
	if (sub === 'sync') {
		expectArgs(context, spec, 1);
		await guardWrite(context, connection, {action: 'schedule-sync', queue: null, destructive: false, summary: ''});
		if (dryRunOf(context)) {
			return report(context, connection, [{queue: null, action: 'schedule-sync', count: context.config.schedules.length, dryRun: true}], done => `would sync ${done.count} schedule(s)`);
		}
		const {syncSchedules} = await import('../runtime/scheduler.js');
		const result = await syncSchedules(connection, context.config);
		return report(context, connection, [{queue: null, action: 'schedule-sync', count: result.upserted.length + result.removed.length, dryRun: false, ...result}], () => `upserted ${result.upserted.length}, removed ${result.removed.length}, unchanged ${result.unchanged.length}`);
	}
	throw new UserError('usage', `unknown schedule subcommand "${sub}"`, 'use: schedule list | schedule run <id> | schedule sync');
}
