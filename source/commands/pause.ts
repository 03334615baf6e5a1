/** `pause <queue>` / `resume <queue>`: stop/start handing out jobs; active ones finish. */
import {expectArgs, type CommandSpec, type Context} from '../command.js';
import {setPaused} from '../data/actions.js';
import {resolveQueues} from '../data/queues.js';
import {dryRunOf, guardWrite, report, writeOptions} from './act.js';

const make = (name: 'pause' | 'resume'): CommandSpec => ({
	name,
	summary: name === 'pause' ? 'Stop handing out jobs of a queue (active jobs finish).' : 'Start handing out jobs of a paused queue again.',
	usage: [`${name} <queue> [--dry-run]`],
	writes: true,
	options: {...writeOptions},
});

export const spec = make('pause');

async function toggle(context: Context, paused: boolean): Promise<number> {
	expectArgs(context, paused ? spec : resumeSpec, 1);
	const connection = await context.connect();
	const [queue] = await resolveQueues(connection, context.config, [context.args[0]!]);
	await guardWrite(context, connection, {action: paused ? 'pause' : 'resume', queue: queue!, destructive: false, summary: ''});
	const result = await setPaused(connection, queue!, paused, {dryRun: dryRunOf(context)});
	return report(context, connection, [result], done => `${done.dryRun ? 'would ' : ''}${paused ? 'pause' : 'resume'}${done.dryRun ? '' : 'd'} ${queue}`);
}

export const run = async (context: Context): Promise<number> => toggle(context, true);

export const resumeSpec = make('resume');
export const resume = {spec: resumeSpec, run: async (context: Context): Promise<number> => toggle(context, false)};
