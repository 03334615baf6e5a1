/** `doctor`: the seed's troubleshooting checklist, run for you; exit 1 when a check fails. */
import type {CommandSpec, Context} from '../command.js';
import {redisChecks, type Check} from '../data/doctor.js';
import {takeSnapshot} from '../data/snapshot.js';
import {printJson} from '../output/json.js';
import {green, red, yellow} from '../output/color.js';
import {renderTable, trusted} from '../output/table.js';

export const spec: CommandSpec = {
	name: 'doctor',
	summary: 'Check Redis version, eviction policy, memory headroom, persistence and the config.',
	usage: ['doctor [--json]'],
	replaces: 'the seed\'s Troubleshooting section (systemctl status, php -i | grep memory_limit, …)',
};

/** Units installed, enabled and running (systemd), or the local supervisor's children. */
async function serviceChecks(context: Context): Promise<Check[]> {
	try {
		const [{openController}, {childArgsOf}] = await Promise.all([import('../process/controller.js'), import('./supervise.js')]);
		const controller = await openController(context.config, childArgsOf(context.flags));
		const statuses = await controller.list();
		if (controller.backend === 'systemd') {
			if (statuses.length === 0) return [{name: 'units', status: 'warn', message: 'no saccos-queue units are installed', hint: 'saccos-queue systemd install'}];
			return statuses.map(status => ({
				name: `unit ${status.unit}`,
				status: status.state === 'failed' ? 'fail' : status.state === 'running' && status.enabled !== false ? 'ok' : 'warn',
				message: `${status.state}${status.enabled === false ? ', not enabled at boot' : ''}${status.restarts > 0 ? `, ${status.restarts} restarts` : ''}`,
				...(status.state === 'running' && status.enabled !== false ? {} : {hint: `systemctl enable --now ${status.unit}; journalctl -u ${status.unit} -n 50`}),
			}));
		}
		const running = statuses.filter(status => status.state === 'running').length;
		return [{
			name: 'services',
			status: running === statuses.length ? 'ok' : 'warn',
			message: `no systemd here; local supervisor in ${controller.dir}: ${running}/${statuses.length} services running`,
			...(running === statuses.length ? {} : {hint: 'saccos-queue services start all (or install the systemd units on a server)'}),
		}];
	} catch (error) {
		return [{name: 'services', status: 'warn', message: `cannot read the services: ${(error as Error).message}`}];
	}
}

const mark = (status: Check['status']): string => (status === 'ok' ? green('ok') : status === 'warn' ? yellow('warn') : red('FAIL'));

export async function run(context: Context): Promise<number> {
	const connection = await context.connect();
	const snapshot = await takeSnapshot(connection, {...context.config, schedules: []}, [], {onlyTheseQueues: true});
	const checks = await redisChecks(connection, context.config, snapshot.redis, snapshot.warnings);
	checks.push(...(await serviceChecks(context)));
	const ok = checks.every(check => check.status !== 'fail');
	if (context.json) {
		printJson({ok, checks});
	} else {
		context.out(renderTable(['CHECK', 'STATUS', 'DETAIL'], checks.map(check => [check.name, trusted(mark(check.status)), check.message]), {maxWidth: 100}));
		const hints = checks.filter(check => check.status !== 'ok' && check.hint);
		if (hints.length > 0) context.out(`\n${hints.map(check => `${check.name}: ${check.hint}`).join('\n')}`);
	}
	return ok ? 0 : 1;
}
