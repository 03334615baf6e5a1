/**
 * `monitor default:100,high:50`: Laravel's queue:monitor. Size is waiting +
 * prioritized + delayed + active; a queue whose size reaches its threshold is
 * ALERT (Laravel's `size >= max`), and any ALERT makes the exit code 1 — the
 * shape Nagios and cron checks expect.
 */
import type {CommandSpec, Context} from '../command.js';
import {UserError} from '../errors.js';
import {resolveQueues} from '../data/queues.js';
import {takeSnapshot} from '../data/snapshot.js';
import {printJson} from '../output/json.js';

export const spec: CommandSpec = {
	name: 'monitor',
	summary: 'Size per queue against a threshold; exit 1 when any queue reaches its threshold.',
	usage: ['monitor [queue:max,…] [--json]'],
	replaces: 'php artisan queue:monitor default:100,high:50,emails:100,notifications:100',
};

/** Parses Laravel's `name:max,name:max` syntax. */
export function parseThresholds(text: string): Array<[string, number]> {
	return text.split(',').map(part => part.trim()).filter(Boolean).map(part => {
		const match = /^([^\s:]+):(\d+)$/.exec(part);
		if (!match) {
			throw new UserError('usage', `cannot read threshold "${part}"`, 'write queue:max pairs, e.g. `saccos-queue monitor default:100,high:50`');
		}
		return [match[1]!, Number(match[2])];
	});
}

export async function run(context: Context): Promise<number> {
	const given = context.args.flatMap(argument => parseThresholds(argument));
	const thresholds = given.length > 0 ? given : Object.entries(context.config.monitor);
	if (thresholds.length === 0) {
		throw new UserError('usage', 'no thresholds given and none configured', 'e.g. `saccos-queue monitor default:100,high:50`, or "monitor" in the config file');
	}
	const connection = await context.connect();
	const names = await resolveQueues(connection, context.config, thresholds.map(([name]) => name));
	const limits = new Map(thresholds);
	const snapshot = await takeSnapshot(connection, {...context.config, monitor: Object.fromEntries(thresholds), schedules: []}, names, {onlyTheseQueues: true});
	const queues = snapshot.queues.map(queue => ({name: queue.name, size: queue.size, threshold: limits.get(queue.name)!, ok: !queue.overThreshold}));
	const ok = queues.every(queue => queue.ok);
	if (context.json) {
		printJson({ok, queues});
	} else {
		const [{renderTable, trusted}, {green, red}] = await Promise.all([import('../output/table.js'), import('../output/color.js')]);
		context.out(renderTable(['QUEUE', 'SIZE', 'THRESHOLD', 'STATUS'], queues.map(queue => [queue.name, queue.size, queue.threshold, trusted(queue.ok ? green('OK') : red('ALERT'))])));
	}
	return ok ? 0 : 1;
}
