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

const mark = (status: Check['status']): string => (status === 'ok' ? green('ok') : status === 'warn' ? yellow('warn') : red('FAIL'));

export async function run(context: Context): Promise<number> {
	const connection = await context.connect();
	const snapshot = await takeSnapshot(connection, {...context.config, schedules: []}, [], {onlyTheseQueues: true});
	const checks = await redisChecks(connection, context.config, snapshot.redis, snapshot.warnings);
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
