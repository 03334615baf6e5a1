/**
 * `services` / `services start|stop|restart <name|all>`: systemctl for the
 * workers and the scheduler — on systemd, or through the local supervisor.
 */
import type {CommandSpec, Context} from '../command.js';
import {sanitizeLine} from '../common/sanitize.js';
import {UserError} from '../errors.js';
import {printJson} from '../output/json.js';
import {renderTable} from '../output/table.js';
import {serviceHead, serviceReason, serviceRow} from '../present/process-rows.js';
import type {ServiceStatus} from '../process/services.js';
import {guardWrite, report, writeOptions} from './act.js';
import {childArgsOf} from './supervise.js';

export const spec: CommandSpec = {
	name: 'services',
	summary: 'The worker and scheduler processes (systemd units, or the local supervisor); start, stop, restart them.',
	usage: ['services [--json]', 'services start|stop|restart <name|all>'],
	replaces: 'systemctl status|start|stop|restart saccos-queue-worker… ; watch -n 5 systemctl status …',
	writes: true,
	options: {...writeOptions},
};

/** The table, then each failed service's reason whole (the table's REASON column is cut on a narrow terminal). */
function table(statuses: ServiceStatus[], timeZone: string): string {
	const now = Date.now();
	const reasons = statuses.map(status => serviceReason(status, now, timeZone)).filter((line): line is string => line !== null);
	return [renderTable(serviceHead, statuses.map(status => serviceRow(status, now))), ...reasons.map(line => sanitizeLine(line))].join('\n');
}

export async function run(context: Context): Promise<number> {
	const {openController} = await import('../process/controller.js');
	const controller = await openController(context.config, childArgsOf(context.flags));
	const [sub, name] = context.args;
	if (sub === undefined) {
		const statuses = await controller.list();
		if (context.json) printJson({backend: controller.backend, dir: controller.dir, services: statuses});
		else {
			context.out(`${controller.backend === 'systemd' ? 'systemd' : `local supervisor (${controller.dir})`}\n`);
			context.out(statuses.length > 0 ? table(statuses, context.config.timezone) : 'No saccos-queue units are installed: `saccos-queue systemd install`.');
		}
		return 0;
	}
	if (!['start', 'stop', 'restart'].includes(sub) || name === undefined || context.args.length > 2) {
		const why = !['start', 'stop', 'restart'].includes(sub) ? `unknown services subcommand "${sub}"` : name === undefined ? `services ${sub} needs a service name or "all"` : `services ${sub} takes one name, got "${context.args[2]!}" too`;
		throw new UserError('usage', why, 'usage: saccos-queue services [start|stop|restart <name|all>]');
	}
	// Services must be manageable while Redis is down: then the action is not audited.
	const connection = await context.connect().catch(() => undefined);
	await guardWrite(context, connection, {action: `services-${sub}`, queue: name, destructive: false, summary: ''});
	if (context.flags['dry-run']) return report(context, connection, [{queue: name, action: `services-${sub}`, count: 0, dryRun: true}], () => `would ${sub} ${name}`);
	const statuses = await (sub === 'start' ? controller.start(name) : sub === 'stop' ? controller.stop(name) : controller.restart(name));
	if (!context.json) context.out(table(statuses, context.config.timezone));
	return report(context, connection, [{queue: name, action: `services-${sub}`, count: statuses.length, dryRun: false, services: statuses}], result => `${sub}: ${result.count} service(s)`);
}
