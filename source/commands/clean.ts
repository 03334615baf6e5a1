/** `clean <queue> --state completed --older-than 30d`: the seed's cleanup SQL, bounded. */
import {expectArgs, stringFlag, type CommandSpec, type Context} from '../command.js';
import {CLEANABLE_STATES, cleanJobs, type CleanableState} from '../data/actions.js';
import {resolveQueues} from '../data/queues.js';
import {UserError} from '../errors.js';
import {dryRunOf, guardWrite, interruptible, progressLine, report, writeOptions} from './act.js';
import {durationFlag} from './flush.js';

export const spec: CommandSpec = {
	name: 'clean',
	summary: 'Delete jobs of one state older than D, in bounded batches.',
	usage: ['clean <queue> --state completed --older-than 30d [--yes] [--dry-run]'],
	replaces: 'DELETE FROM jobs WHERE created_at < DATE_SUB(NOW(), INTERVAL 30 DAY)',
	writes: true,
	options: {
		state: {type: 'string', short: 's', value: 'S', description: `${CLEANABLE_STATES.join(' | ')} (default completed)`},
		'older-than': {type: 'string', value: 'D', description: 'only jobs older than D (required: 90s, 15m, 30d; 0s for all)'},
		...writeOptions,
	},
};

export async function run(context: Context): Promise<number> {
	expectArgs(context, spec, 1);
	const state = stringFlag(context.flags, 'state') ?? 'completed';
	if (!(CLEANABLE_STATES as readonly string[]).includes(state)) {
		throw new UserError('usage', `cannot clean state "${state}"`, `use one of: ${CLEANABLE_STATES.join(', ')}`);
	}
	const olderThan = durationFlag(context, 'older-than', true);
	const connection = await context.connect();
	const [queue] = await resolveQueues(connection, context.config, [context.args[0]!]);
	await guardWrite(context, connection, {action: 'clean', queue: queue!, destructive: true, summary: `Delete ${state} jobs of ${queue} older than ${stringFlag(context.flags, 'older-than')}.`});
	const {signal, dispose} = interruptible(context);
	const progress = progressLine(context, `clean ${queue}`);
	try {
		const result = await cleanJobs(connection, queue!, state as CleanableState, olderThan, {dryRun: dryRunOf(context), signal, onProgress: progress.onProgress});
		progress.done();
		return report(context, connection, [{...result, state}], done => `${done.dryRun ? 'would delete' : 'deleted'} ${done.count}${done['upperBound'] ? ' (at most)' : ''} ${state} job(s) in ${queue}`);
	} finally {
		dispose();
	}
}
