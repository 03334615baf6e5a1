/**
 * Prometheus' text exposition format (version 0.0.4) for `metrics
 * --prometheus`: for node_exporter's textfile collector or any scraper that
 * runs a command. Gauges only — queue counts and latency now, the window's
 * counts and percentiles — since the recorded metrics are windows, not
 * counters. Label values are escaped as the format says (\\, ", newline);
 * job names reach here already cleaned of control characters.
 */
import type {MetricsSummary} from '../shared/histogram.js';
import type {QueueMetrics, QueueSnapshot} from '../shared/types.js';

/** A label value, escaped. */
export const labelValue = (text: string): string => text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

type Sample = {labels: Record<string, string>; value: number | null};

function family(name: string, help: string, samples: Sample[]): string[] {
	const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} gauge`];
	for (const {labels, value} of samples) {
		if (value === null || !Number.isFinite(value)) continue;
		const text = Object.entries(labels).map(([key, label]) => `${key}="${labelValue(label)}"`).join(',');
		lines.push(`${name}{${text}} ${value}`);
	}
	return lines;
}

const seconds = (ms: number | null): number | null => (ms === null ? null : ms / 1000);

/** The recorded figures of one queue, or one job name of it, as samples. */
function summarySamples(queue: string, name: string | undefined, summary: MetricsSummary, window: string): Record<string, Sample[]> {
	const base = {queue, ...(name === undefined ? {} : {name})};
	const quantiles = (values: Record<string, number | null>) => Object.entries(values).map(([quantile, ms]) => ({labels: {...base, quantile, window}, value: seconds(ms)}));
	return {
		jobs: (['completed', 'failed', 'retried'] as const).map(outcome => ({labels: {...base, outcome, window}, value: summary[outcome]})),
		rate: [{labels: base, value: summary.perMinute}],
		failure: [{labels: {...base, window}, value: summary.failureRate}],
		runtime: quantiles({'0.5': summary.runtime.p50, '0.95': summary.runtime.p95, '0.99': summary.runtime.p99}),
		wait: quantiles({'0.5': summary.wait.p50, '0.95': summary.wait.p95}),
	};
}

/** The whole exposition: queue state from the snapshot, the window's figures per queue (and per name when read by name). */
export function renderPrometheus(queues: readonly QueueSnapshot[], metrics: readonly QueueMetrics[], window: string): string {
	const byKind: Record<string, Sample[]> = {jobs: [], rate: [], failure: [], runtime: [], wait: []};
	for (const queue of metrics) {
		const parts = [summarySamples(queue.queue, undefined, queue, window), ...(queue.names ?? []).map(name => summarySamples(queue.queue, name.name, name, window))];
		for (const part of parts) for (const [kind, samples] of Object.entries(part)) byKind[kind]!.push(...samples);
	}
	return [
		...family('saccos_queue_jobs', 'Jobs in each state, now.', queues.flatMap(queue => Object.entries(queue.counts).map(([state, count]) => ({labels: {queue: queue.name, state}, value: count})))),
		...family('saccos_queue_oldest_wait_seconds', 'How long the job next in line has waited since it became due (absent when none waits).', queues.map(queue => ({labels: {queue: queue.name}, value: seconds(queue.oldestWaitMs)}))),
		...family('saccos_queue_workers', 'Live worker connections serving the queue.', queues.map(queue => ({labels: {queue: queue.name}, value: queue.workers}))),
		...family('saccos_queue_paused', '1 when the queue is paused.', queues.map(queue => ({labels: {queue: queue.name}, value: queue.paused ? 1 : 0}))),
		...family('saccos_queue_window_jobs', 'Jobs finished in the window, by outcome (completed, failed for good, failed and retried), as the workers recorded them.', byKind['jobs']!),
		...family('saccos_queue_jobs_per_minute', 'Jobs finished per minute, the average of the last 5 complete minutes.', byKind['rate']!),
		...family('saccos_queue_failure_ratio', 'failed / (completed + failed) over the window (absent when none finished).', byKind['failure']!),
		...family('saccos_queue_runtime_seconds', 'Runtime percentiles over the window, from the recorded histograms (within a factor of 1.41).', byKind['runtime']!),
		...family('saccos_queue_wait_seconds', 'Wait from due to first start, percentiles over the window, from the recorded histograms.', byKind['wait']!),
		'',
	].join('\n');
}
