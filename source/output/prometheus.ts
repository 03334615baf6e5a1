/**
 * Prometheus' text exposition format (version 0.0.4) for `metrics
 * --prometheus` and the `exporter` (README, "Prometheus"): the queues' state
 * now as gauges; the jobs the workers recorded as counters and histograms per
 * queue and job name, from the all-time totals (which only grow, so a counter
 * never goes down between two scrapes while Redis keeps them); the time of the
 * workers' last metrics flush and of this read, for a "stale metrics" alert.
 *
 * Every family has HELP and TYPE lines; label values are escaped as the format
 * says (\\, ", newline); names are fixed here and valid. Histograms merge the
 * recorder's √2 buckets into fixed `le` bounds that are bucket edges (powers of
 * 4 ms), so each cumulative count is exact: bucket i holds [2^((i−1)/2),
 * 2^(i/2)) ms, so a whole-ms duration equal to an edge counts in the next `le`.
 */
import {bucketHigh, type Histogram, type MetricTotals} from '../common/histogram.js';
import type {ScrapeRead} from '../common/types.js';

/** A label value, escaped. */
export const labelValue = (text: string): string => text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** The recorder's buckets whose upper edges are the `le` bounds: 1 ms, 4 ms, 16 ms … 4194.304 s (about 70 min), then +Inf. */
export const LE_BUCKETS = Array.from({length: 12}, (_, index) => index * 4);

type Labels = Record<string, string>;
type Sample = {suffix?: string; labels: Labels; value: number | null};
type Kind = 'gauge' | 'counter' | 'histogram';

/** A number as the format writes it (Go's ParseFloat reads JavaScript's shortest form). */
const number = (value: number): string => (value === Number.POSITIVE_INFINITY ? '+Inf' : String(value));

const labelText = (labels: Labels): string => {
	const pairs = Object.entries(labels).map(([key, value]) => `${key}="${labelValue(value)}"`);
	return pairs.length === 0 ? '' : `{${pairs.join(',')}}`;
};

/** One family: HELP, TYPE, then its samples (those without a value left out). */
function family(name: string, kind: Kind, help: string, samples: readonly Sample[]): string[] {
	const lines = [`# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${name} ${kind}`];
	for (const {suffix = '', labels, value} of samples) {
		if (value === null || Number.isNaN(value)) continue;
		lines.push(`${name}${suffix}${labelText(labels)} ${number(value)}`);
	}
	return lines;
}

/** A histogram's samples: cumulative `_bucket`s at the fixed bounds and +Inf, `_sum` (seconds), `_count`. */
function histogramSamples(labels: Labels, histogram: Histogram, sumMs: number): Sample[] {
	const samples: Sample[] = [];
	let cumulative = 0;
	let total = 0;
	for (const count of histogram.values()) total += count;
	const sorted = [...histogram].sort(([a], [b]) => a - b);
	let next = 0;
	for (const bound of LE_BUCKETS) {
		while (next < sorted.length && sorted[next]![0] <= bound) cumulative += sorted[next++]![1];
		samples.push({suffix: '_bucket', labels: {...labels, le: number(bucketHigh(bound) / 1000)}, value: cumulative});
	}
	samples.push({suffix: '_bucket', labels: {...labels, le: '+Inf'}, value: total});
	samples.push({suffix: '_sum', labels, value: sumMs / 1000});
	samples.push({suffix: '_count', labels, value: total});
	return samples;
}

const seconds = (ms: number | null): number | null => (ms === null ? null : ms / 1000);

/** The queues' state now. */
function stateFamilies(read: ScrapeRead): string[] {
	const queues = read.queues;
	return [
		...family('saccos_queue_jobs', 'gauge', 'Jobs in each state, now.', queues.flatMap(queue => Object.entries(queue.counts).map(([state, count]) => ({labels: {queue: queue.name, state}, value: count})))),
		...family('saccos_queue_oldest_wait_seconds', 'gauge', 'How long the job next in line has waited since it became due (absent when none waits).', queues.map(queue => ({labels: {queue: queue.name}, value: seconds(queue.oldestWaitMs)}))),
		...family('saccos_queue_paused', 'gauge', '1 when the queue is paused.', queues.map(queue => ({labels: {queue: queue.name}, value: queue.paused ? 1 : 0}))),
		...family('saccos_queue_workers', 'gauge', 'Live worker connections serving the queue (BullMQ workers, ours and others).', queues.map(queue => ({labels: {queue: queue.name}, value: queue.workers}))),
	];
}

/** The recorded jobs: counters and histograms per queue and job name. */
function recordedFamilies(read: ScrapeRead): string[] {
	const rows = read.totals.flatMap(({queue, names}) => names.map(({name, totals}) => ({labels: {queue, name}, totals})));
	const counter = (pick: (totals: MetricTotals) => number) => rows.map(row => ({labels: row.labels, value: pick(row.totals)}));
	return [
		...family('saccos_queue_jobs_completed_total', 'counter', 'Jobs completed, as the workers recorded them.', counter(totals => totals.c)),
		...family('saccos_queue_jobs_failed_total', 'counter', 'Jobs failed for good (no attempt left), as the workers recorded them.', counter(totals => totals.f)),
		...family('saccos_queue_jobs_retried_total', 'counter', 'Attempts that failed and were retried, as the workers recorded them.', counter(totals => totals.r)),
		...family('saccos_queue_job_runtime_seconds', 'histogram', 'Runtime of every attempt.', rows.flatMap(row => histogramSamples(row.labels, row.totals.h, row.totals.ms))),
		...family('saccos_queue_job_wait_seconds', 'histogram', 'Wait from when a job became due to its first start.', rows.flatMap(row => histogramSamples(row.labels, row.totals.w, row.totals.wms))),
	];
}

/** The whole exposition of one read, ending with a newline. */
export function renderPrometheus(read: ScrapeRead): string {
	return [
		...stateFamilies(read),
		...recordedFamilies(read),
		...family('saccos_queue_metrics_last_flush_timestamp_seconds', 'gauge', 'When a worker last flushed its job metrics to Redis (Unix time; absent when none is kept).', [{labels: {}, value: seconds(read.lastFlushMs)}]),
		...family('saccos_queue_scrape_timestamp_seconds', 'gauge', 'When these figures were read from Redis (Unix time).', [{labels: {}, value: read.at / 1000}]),
		'',
	].join('\n');
}
