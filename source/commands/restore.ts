/** `restore FILE`: put archived jobs back as waiting jobs (same ids, data, options, logs). */
import {expectArgs, type CommandSpec, type Context} from '../command.js';
import {restoreArchive} from '../data/archive.js';
import {dryRunOf, guardWrite, interruptible, progressLine, report, writeOptions} from './act.js';

export const spec: CommandSpec = {
	name: 'restore',
	summary: 'Re-enqueue the jobs of an archive file as waiting jobs; ids that exist already are skipped.',
	usage: ['restore <FILE> [--dry-run]'],
	writes: true,
	options: {...writeOptions},
};

export async function run(context: Context): Promise<number> {
	expectArgs(context, spec, 1);
	const connection = await context.connect();
	await guardWrite(context, connection, {action: 'restore', queue: null, destructive: false, summary: ''});
	const {signal, dispose} = interruptible(context);
	const progress = progressLine(context, 'restore');
	try {
		const result = await restoreArchive(connection, context.args[0]!, {dryRun: dryRunOf(context), signal, onProgress: progress.onProgress});
		progress.done();
		return report(context, connection, [result], done => `${done.dryRun ? 'would restore' : 'restored'} ${done.count} job(s) from ${context.args[0]}${done['skipped'] ? `; ${String(done['skipped'])} already present, skipped` : ''}`);
	} finally {
		dispose();
	}
}
