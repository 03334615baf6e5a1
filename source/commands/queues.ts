/**
 * `queues`: the known queues (configured, recorded) with their state.
 * `queues discover`: scan the keyspace once for BullMQ queues and record them.
 */
import {sanitizeLine} from '../common/sanitize.js';
import {expectArgs, type CommandSpec, type Context} from '../command.js';
import {UserError} from '../errors.js';
import {discoverQueues, mergeQueueNames, recordedQueues} from '../data/queues.js';
import {takeSnapshot} from '../data/snapshot.js';
import {printJson} from '../output/json.js';
import {renderTable} from '../output/table.js';

export const spec: CommandSpec = {
	name: 'queues',
	summary: 'The known queues; `queues discover` finds the BullMQ queues already in Redis.',
	usage: ['queues [--json]', 'queues discover [--dry-run] [--json]'],
	writes: true,
	options: {
		'dry-run': {type: 'boolean', description: 'discover: report, record nothing'},
		yes: {type: 'boolean', short: 'y', description: 'accepted for uniformity (discover asks nothing)'},
	},
};

async function list(context: Context): Promise<number> {
	const connection = await context.connect();
	const recorded = new Set(await recordedQueues(connection));
	const names = mergeQueueNames(context.config.queueOrder, [...recorded]);
	const snapshot = await takeSnapshot(connection, {...context.config, schedules: []}, names, {onlyTheseQueues: true});
	const configured = new Set(context.config.queueOrder);
	const queues = snapshot.queues.map(queue => ({
		name: queue.name,
		configured: configured.has(queue.name),
		recorded: recorded.has(queue.name),
		exists: queue.exists,
		paused: queue.paused,
		size: queue.size,
		counts: queue.counts,
		workers: queue.workers,
	}));
	if (context.json) {
		printJson({prefix: connection.prefix, queues});
		return 0;
	}
	context.out(renderTable(
		['QUEUE', 'SOURCE', 'IN REDIS', 'PAUSED', 'SIZE', 'FAILED', 'WORKERS'],
		queues.map(queue => [
			queue.name,
			[queue.configured ? 'config' : '', queue.recorded ? 'recorded' : ''].filter(Boolean).join('+'),
			queue.exists ? 'yes' : 'no',
			queue.paused ? 'yes' : 'no',
			queue.size,
			queue.counts.failed,
			queue.workers,
		]),
	));
	context.out(`\nPrefix "${connection.prefix}". Queues written by other BullMQ applications: \`saccos-queue queues discover\`.`);
	return 0;
}

async function discover(context: Context): Promise<number> {
	const connection = await context.connect();
	const dryRun = context.flags['dry-run'] === true;
	const record = !dryRun && !context.config.readOnly;
	const progress = process.stderr.isTTY && !context.json;
	const result = await discoverQueues(connection, context.config, {
		record,
		onProgress: progress
			? ({scanned, total, found}) => process.stderr.write(`\rscanning: ${scanned}/${total} keys, ${found} queues`)
			: undefined,
	});
	if (progress) process.stderr.write('\n');
	if (context.json) {
		printJson({prefix: connection.prefix, ...result, dryRun});
		return 0;
	}
	if (result.found.length === 0) {
		context.out(`No BullMQ queues under prefix "${connection.prefix}" (${result.scannedKeys} keys scanned). Another prefix? Try --prefix.`);
		return 0;
	}
	// One queue a row (a keyspace can hold hundreds), then what happened, once.
	const added = new Set(result.added);
	const fresh = result.recorded ? 'new, recorded' : `new, not recorded (${dryRun ? '--dry-run' : 'read-only'})`;
	context.out(renderTable(['QUEUE', 'STATUS'], result.found.map(name => [name, added.has(name) ? fresh : 'known']), {maxWidth: 200}));
	const known = result.found.length - result.added.length;
	const what = result.added.length === 0 ? 'all of them already known' : `${result.added.length} ${fresh}${known > 0 ? `, ${known} already known` : ''}`;
	context.out(`\n${sanitizeLine(`${result.found.length} queue(s) under prefix "${connection.prefix}" (${result.scannedKeys} keys scanned): ${what}.`)}`);
	return 0;
}

export async function run(context: Context): Promise<number> {
	const [sub] = context.args;
	if (sub === undefined) return list(context);
	if (sub === 'discover') {
		expectArgs(context, spec, 1);
		return discover(context);
	}
	throw new UserError('usage', `unknown queues subcommand "${sub}"`, 'use `saccos-queue queues` or `saccos-queue queues discover`');
}
