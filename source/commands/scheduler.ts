/**
 * `scheduler`: the seed's `while true; do artisan schedule:run; sleep 60; done`,
 * as a long-running process that keeps the schedules in Redis (SIGHUP reloads).
 */
import type {CommandSpec, Context} from '../command.js';
import {UserError} from '../errors.js';

export const spec: CommandSpec = {
	name: 'scheduler',
	summary: 'Keep the configured schedules in Redis as BullMQ Job Schedulers, with a heartbeat (foreground, for systemd).',
	usage: ['scheduler'],
	replaces: 'while true; do php artisan schedule:run >> scheduler.log 2>&1; sleep 60; done',
};

export async function run(context: Context): Promise<number> {
	if (context.args.length > 0) throw new UserError('usage', `scheduler takes no arguments, got "${context.args[0]}"`, 'schedules come from the config file');
	if (context.config.readOnly) throw new UserError('refused', 'read-only mode: the scheduler writes schedules', 'run it without --read-only');
	const [{runScheduler}, {createLogger}] = await Promise.all([import('../runtime/scheduler.js'), import('../runtime/logger.js')]);
	return runScheduler(context.reloadConfig, context.config, createLogger('scheduler'));
}
