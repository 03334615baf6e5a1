/** A queue's recorded metrics as the console's metrics view shows them (pure). */
import type {MinuteSeries, QueueMetrics} from '../common/types.js';
import {formatDuration} from '../util/duration.js';
import {bar} from './chart.js';
import type {TableRow, Tone} from './table-model.js';

export const metricsHead = ['JOB NAME', 'COUNT', 'FAILED', 'RETRIED', 'TOTAL TIME', 'AVG', 'P95', 'WAIT P95', 'JOBS/MIN'];
export const metricsNumeric: ReadonlySet<number> = new Set([1, 2, 3, 4, 5, 6, 7, 8]);
/** Left out first on a narrow terminal: RETRIED, WAIT P95, JOBS/MIN, TOTAL TIME. */
export const metricsDrop = [3, 7, 8, 4];

/** Runtimes read to the tenth of a second below 10 s (1.4s, 850ms), as durations above. */
function ms(value: number | null | undefined): string {
	if (value === null || value === undefined) return '-';
	if (value < 1000) return `${Math.round(value)}ms`;
	if (value < 10_000) return `${(value / 1000).toFixed(1)}s`;
	return formatDuration(value);
}

type NameMetrics = NonNullable<QueueMetrics['names']>[number];

export function metricsRow(name: NameMetrics): TableRow {
	const tone: Tone = name.failed > 0 && (name.failureRate ?? 0) >= 0.05 ? 'bad' : undefined;
	return {
		id: name.name,
		cells: [name.name, String(name.completed + name.failed), String(name.failed), String(name.retried), ms(name.totalMs), ms(name.runtime.avg), ms(name.runtime.p95), ms(name.wait.p95), String(name.perMinute)],
		tone,
		...(name.failed > 0 ? {cellTones: {2: 'bad'}} : {}),
		sortKeys: [null, null, null, null, name.totalMs ?? null, name.runtime.avg, name.runtime.p95, name.wait.p95, name.perMinute],
	};
}

/** The queue's line over the table: the rate now, the window's counts, the failure rate. */
export function metricsSummaryLine(queue: QueueMetrics, window: string): string {
	const rate = queue.failureRate === null ? '-' : `${(queue.failureRate * 100).toFixed(1)}%`;
	return `${queue.queue} · last ${window}: ${queue.completed} completed, ${queue.failed} failed (${rate}), ${queue.retried} retried · ${queue.perMinute}/min now · runtime p50 ${ms(queue.runtime.p50)} p95 ${ms(queue.runtime.p95)} p99 ${ms(queue.runtime.p99)} · wait p95 ${ms(queue.wait.p95)}`;
}

/** The per-minute line's caption: its range and its highest minute. */
export function seriesCaption(series: MinuteSeries): string {
	const finished = series.completed.map((count, index) => count + series.failed[index]!);
	const failed = series.failed.reduce((sum, count) => sum + count, 0);
	return `jobs per minute, last ${series.minutes.length} min (highest ${Math.max(0, ...finished)}/min; ${failed} failed)`;
}

/** The runtime histogram of one job name: a line per bucket that holds any attempt, its bar scaled to the fullest. */
export function histogramLines(name: NameMetrics, width: number): string[] {
	const buckets = name.runtimeHistogram ?? [];
	const high = Math.max(0, ...buckets.map(bucket => bucket.count));
	const label = (bucket: {fromMs: number; toMs: number}) => `${ms(bucket.fromMs)}–${ms(bucket.toMs)}`.padStart(15);
	return buckets.map(bucket => `${label(bucket)} ${String(bucket.count).padStart(7)} ${bar(bucket.count, high, Math.min(40, Math.max(5, width - 26)))}`);
}
