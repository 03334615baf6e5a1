/**
 * `worker`: php artisan queue:work, on BullMQ. Runs in the foreground for
 * systemd (or the local supervisor); logs one JSON object per line.
 */
import {intFlag, listFlag, numberFlag, type CommandSpec, type Context} from '../command.js';
import {UserError} from '../errors.js';
import {queueOfInstance} from '../process/services.js';

export const spec: CommandSpec = {
	name: 'worker',
	summary: 'Run a worker over queues in priority order (foreground, for systemd).',
	usage: ['worker [--queue high,default] [--tries 3] [--timeout 90] [--sleep 3] [--max-time 3600] [--memory 512] [--concurrency N] [--max-jobs N]'],
	replaces: 'php artisan queue:work --queue=high,default --tries=3 --timeout=90 --sleep=3 --max-time=3600',
	options: {
		queue: {type: 'string', multiple: true, value: 'Q,…', description: 'queues in priority order (default: every configured queue, in config order)'},
		instance: {type: 'string', value: 'NAME', description: 'systemd template instance: the queue, with an optional -N suffix for extra workers (high-2)'},
		tries: {type: 'string', value: 'N', description: 'attempts for jobs that set none (default: the queue\'s, 3)'},
		timeout: {type: 'string', value: 'S', description: 'seconds a job may run (default: the queue\'s, 90/60)'},
		sleep: {type: 'string', value: 'S', description: 'seconds to wait for work when every queue is empty (default 3)'},
		'max-time': {type: 'string', value: 'S', description: 'finish and exit 0 after S seconds (default 3600; 0 = never)'},
		memory: {type: 'string', value: 'MB', description: 'finish and exit 0 when RSS exceeds MB'},
		concurrency: {type: 'string', value: 'N', description: 'jobs at once (default 1, as Laravel)'},
		'max-jobs': {type: 'string', value: 'N', description: 'finish and exit 0 after N jobs'},
		'stop-timeout': {type: 'string', value: 'S', description: 'on SIGTERM, wait S seconds for active jobs (default 25; keep below the unit\'s TimeoutStopSec)'},
		'lock-duration': {type: 'string', value: 'MS', description: 'BullMQ job lock, ms (default 30000)'},
		'stalled-interval': {type: 'string', value: 'MS', description: 'BullMQ stalled-job check interval, ms (default 30000)'},
		'log-data': {type: 'boolean', description: 'put the job\'s data (JSON, cut at 2 KB, known secrets masked) in its "job failed" and "job timed out" lines'},
		daemon: {type: 'boolean', description: 'accepted for compatibility with queue:work (always a long-running process)'},
	},
};

/** `high-2` → `high` (a second worker on "high"), unless a queue is literally named `high-2`. */

export async function run(context: Context): Promise<number> {
	if (context.args.length > 0) throw new UserError('usage', `worker takes no arguments, got "${context.args[0]}"`, 'name queues with --queue high,default');
	const {config, flags} = context;
	if (config.readOnly) throw new UserError('refused', 'read-only mode: a worker changes job states', 'run it without --read-only / readOnly');
	const instance = typeof flags['instance'] === 'string' ? flags['instance'] : undefined;
	if (instance !== undefined && flags['queue'] !== undefined) throw new UserError('usage', '--instance and --queue are exclusive', 'the template unit passes --instance %i');
	const queues = instance !== undefined ? [queueOfInstance(instance, config.queueOrder)] : (listFlag(flags, 'queue') ?? config.queueOrder);
	for (const queue of queues) {
		if (!/^[^\s:]+$/.test(queue)) throw new UserError('usage', `invalid queue name "${queue}"`, 'queue names have no spaces or ":"');
	}
	const options = {
		queues,
		...(flags['tries'] === undefined ? {} : {tries: intFlag(flags, 'tries', 3, 1, 1000)}),
		...(flags['timeout'] === undefined ? {} : {timeout: numberFlag(flags, 'timeout', 90, 0.1, 86_400)}),
		sleep: numberFlag(flags, 'sleep', config.worker.sleep, 0, 3600),
		maxTime: numberFlag(flags, 'max-time', config.worker.maxTime, 0, 31_536_000),
		...(flags['memory'] === undefined && config.worker.memory === undefined ? {} : {memory: numberFlag(flags, 'memory', config.worker.memory ?? 512, 16, 1_048_576)}),
		concurrency: intFlag(flags, 'concurrency', 1, 1, 1000),
		...(flags['max-jobs'] === undefined ? {} : {maxJobs: intFlag(flags, 'max-jobs', 1000, 1, Number.MAX_SAFE_INTEGER)}),
		stopTimeoutMs: numberFlag(flags, 'stop-timeout', 25, 0, 3600) * 1000,
		lockDurationMs: intFlag(flags, 'lock-duration', 30_000, 1000, 3_600_000),
		stalledIntervalMs: intFlag(flags, 'stalled-interval', 30_000, 500, 3_600_000),
		logData: flags['log-data'] === true,
	};
	const [{runWorker}, {createLogger}] = await Promise.all([import('../runtime/worker.js'), import('../runtime/logger.js')]);
	return runWorker(config, options, createLogger('worker'));
}
