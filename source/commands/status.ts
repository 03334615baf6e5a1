/**
 * `status`: the seed's `SELECT queue, COUNT(*) … GROUP BY queue` and
 * `queue:monitor` in one view — counts per state, workers, schedules, health.
 */
import {listFlag, type CommandSpec, type Context} from '../command.js';
import {resolveQueues} from '../data/queues.js';
import {takeSnapshot} from '../data/snapshot.js';
import {printJson} from '../output/json.js';

export const spec: CommandSpec = {
	name: 'status',
	summary: 'Queues, counts per state, workers, schedules and Redis health.',
	usage: ['status [--queue Q,…] [--json]'],
	replaces: 'SELECT queue, COUNT(*) FROM jobs GROUP BY queue; php artisan queue:monitor',
	options: {
		queue: {type: 'string', multiple: true, value: 'Q', description: 'only these queues (comma-separated or repeated)'},
	},
};

export async function run(context: Context): Promise<number> {
	const connection = await context.connect();
	const only = listFlag(context.flags, 'queue');
	const queues = only ? await resolveQueues(connection, context.config, only) : context.config.queueOrder;
	const snapshot = await takeSnapshot(connection, context.config, queues, {onlyTheseQueues: only !== undefined});
	if (context.json) {
		printJson(snapshot);
		return 0;
	}
	// Tables load only for people: cron's --json never pays for cli-table3.
	const [{renderTable}, {yellow}, rows] = await Promise.all([import('../output/table.js'), import('../output/color.js'), import('../present/queue-rows.js')]);
	const {queueHead, queueRow, redisLine, scheduleHead, scheduleRow, workerHead, workerRow} = rows;
	context.out(redisLine(snapshot));
	context.out('');
	context.out(renderTable(queueHead, snapshot.queues.map(queueRow)));
	if (snapshot.workers.length > 0) {
		context.out('');
		context.out(renderTable(workerHead, snapshot.workers.map(workerRow)));
	} else {
		context.out('\nNo workers connected.');
	}
	if (snapshot.schedules.length > 0) {
		context.out('');
		context.out(renderTable(scheduleHead, snapshot.schedules.map(scheduleRow)));
	}
	for (const warning of snapshot.warnings) context.out(yellow(`\nwarning: ${warning}`));
	return 0;
}
