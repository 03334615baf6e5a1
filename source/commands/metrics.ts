/**
 * `metrics [--queue Q,…] [--since 1h] [--by name]`: what the workers
 * recorded (Sidekiq's metrics page, Horizon's throughput and runtime) — jobs
 * per minute now, completed and failed in the window, the failure rate,
 * runtime p50/p95/p99, wait p50/p95 — and the latency now (the age of the job
 * next in line, from the snapshot). Reads are bounded by the window; it
 * writes nothing. `--prometheus` prints counters and histograms of the
 * all-time totals instead (README, "Prometheus"): Prometheus takes the windows.
 */
import {listFlag, stringFlag, type CommandSpec, type Context} from '../command.js';
import {readQueueMetrics} from '../data/metrics.js';
import {knownQueues, resolveQueues} from '../data/queues.js';
import {takeSnapshot} from '../data/snapshot.js';
import {UserError} from '../errors.js';
import {printJson} from '../output/json.js';
import type {MetricsSummary} from '../common/histogram.js';
import type {QueueMetrics} from '../common/types.js';
import {formatDuration, parseDuration} from '../util/duration.js';

export const spec: CommandSpec = {
	name: 'metrics',
	summary: 'Jobs per minute, completed, failed, failure rate, runtime and wait percentiles, latency, per queue or job name.',
	usage: ['metrics [--queue Q,…] [--since 1h|24h|7d] [--by name] [--json]', 'metrics [--queue Q,…] --prometheus'],
	options: {
		queue: {type: 'string', multiple: true, value: 'Q', description: 'only these queues (comma-separated or repeated)'},
		since: {type: 'string', value: 'D', description: 'the window: the last D (default 1h; at most the hour retention, 7d by default)'},
		by: {type: 'string', value: 'name', description: '`--by name`: a line per job name under each queue'},
		prometheus: {type: 'boolean', description: 'Prometheus text format: counters, histograms and gauges, e.g. for node_exporter\'s textfile collector'},
	},
};

/** A queue's line of `metrics --json`: the summary, its latency now, and its names with --by name. */
export type MetricsLine = QueueMetrics & {oldestWaitMs: number | null};

/** --since as ms, within what Redis keeps. */
export function parseSince(text: string | undefined, maxMs: number): number {
	if (text === undefined) return 3_600_000;
	const ms = parseDuration(text);
	if (ms === undefined || ms < 60_000 || ms > maxMs) {
		throw new UserError('usage', `--since "${text}" is not a window from 1m to ${formatDuration(maxMs)}`, 'e.g. --since 15m, --since 24h or --since 7d (the hours are kept for "metrics.hourRetention" in the config)');
	}
	return ms;
}

/** `--prometheus`: the scrape an exporter would serve, printed once. */
async function printPrometheus(context: Context): Promise<number> {
	if (context.json) throw new UserError('usage', '--json and --prometheus are two formats: choose one', 'e.g. `saccos-queue metrics --prometheus`');
	const windowed = ['since', 'by'].find(flag => context.flags[flag] !== undefined);
	if (windowed) throw new UserError('usage', `--${windowed} does not apply to --prometheus: it prints all-time counters and histograms per job name`, `Prometheus takes the windows, e.g. rate(saccos_queue_jobs_failed_total[15m]); drop --${windowed}`);
	const connection = await context.connect();
	const {readScrape} = await import('../data/scrape.js');
	const {renderPrometheus} = await import('../output/prometheus.js');
	const read = await readScrape(connection, context.config, listFlag(context.flags, 'queue'));
	for (const warning of read.warnings) context.note(`warning: ${warning}`);
	context.out(renderPrometheus(read).trimEnd());
	return 0;
}

export async function run(context: Context): Promise<number> {
	if (context.flags['prometheus'] === true) return printPrometheus(context);
	const sinceMs = parseSince(stringFlag(context.flags, 'since'), context.config.metrics.hourRetentionMs);
	const by = stringFlag(context.flags, 'by');
	if (by !== undefined && by !== 'name') throw new UserError('usage', `--by "${by}" is not known`, 'the one grouping is --by name');
	const connection = await context.connect();
	const only = listFlag(context.flags, 'queue');
	const queues = only ? await resolveQueues(connection, context.config, only) : await knownQueues(connection, context.config);
	const [read, snapshot] = await Promise.all([
		readQueueMetrics(connection, queues, {sinceMs, byName: by === 'name'}),
		takeSnapshot(connection, {...context.config, schedules: []}, queues, {onlyTheseQueues: true}),
	]);
	const latency = new Map(snapshot.queues.map(queue => [queue.name, queue.oldestWaitMs]));
	const lines: MetricsLine[] = read.queues.map(queue => ({...queue, oldestWaitMs: latency.get(queue.queue) ?? null}));
	if (context.json) {
		printJson({since: stringFlag(context.flags, 'since') ?? '1h', sinceMs, from: new Date(read.from).toISOString(), to: new Date(read.to).toISOString(), resolution: read.resolution, queues: lines, warnings: snapshot.warnings});
		return 0;
	}
	const {renderTable} = await import('../output/table.js');
	const head = ['QUEUE', ...(by === 'name' ? ['JOB'] : []), 'JOBS/MIN', 'COMPLETED', 'FAILED', 'FAIL %', 'RUN p50', 'p95', 'p99', 'WAIT p50', 'p95', 'LATENCY'];
	const rows = lines.flatMap(line => [
		[line.queue, ...(by === 'name' ? ['(all)'] : []), ...cells(line), line.oldestWaitMs === null ? '-' : formatDuration(line.oldestWaitMs)],
		...(line.names ?? []).map(name => ['', name.name, ...cells(name), '']),
	]);
	context.out(`Recorded by the workers over the last ${formatDuration(sinceMs)} (${read.resolution === 'hour' ? 'whole hours' : 'to the minute'}); JOBS/MIN: the last 5 minutes; LATENCY: the job next in line, now.`);
	context.out('');
	context.out(renderTable(head, rows));
	for (const warning of snapshot.warnings) context.out(`\nwarning: ${warning}`);
	return 0;
}

const ms = (value: number | null): string => (value === null ? '-' : formatDuration(value));

/** The figures of one table row. */
function cells(summary: MetricsSummary): Array<string | number> {
	return [
		summary.perMinute,
		summary.completed,
		summary.failed,
		summary.failureRate === null ? '-' : `${(summary.failureRate * 100).toFixed(1)}%`,
		ms(summary.runtime.p50),
		ms(summary.runtime.p95),
		ms(summary.runtime.p99),
		ms(summary.wait.p50),
		ms(summary.wait.p95),
	];
}
