/**
 * The recorded metrics' pure parts (README, "Metrics"): the log-scale buckets
 * of the runtime and wait histograms, percentiles from them, the minute and
 * hour stamps of the metric keys, and the job-name bounds. The worker's
 * recorder, the data layer's reader and the console use the same functions,
 * so what is written and what is read cannot drift apart. No I/O.
 */

/**
 * Bucket i holds durations in [2^((i-1)/2), 2^(i/2)) ms, bucket 0 holds [0, 1)
 * ms: each bucket is √2 wider than the one before, so a percentile read from
 * the histogram is within ±21% of the true value (the bucket's middle), from
 * 1 ms to the last bucket. 63 is the last: 2^31 ms (24.9 days) and beyond.
 */
export const LAST_BUCKET = 63;

/** The bucket of a duration in ms (negative durations, e.g. clock skew, count as 0). */
export function bucketOf(ms: number): number {
	if (!(ms >= 1)) return 0;
	const index = Math.floor(2 * Math.log2(ms)) + 1;
	return index > LAST_BUCKET ? LAST_BUCKET : index;
}

/** The lower bound of bucket i, in ms. */
export const bucketLow = (index: number): number => (index <= 0 ? 0 : 2 ** ((index - 1) / 2));

/** The upper bound of bucket i, in ms (the last bucket is open: its upper bound is its lower one times √2). */
export const bucketHigh = (index: number): number => (index <= 0 ? 1 : 2 ** (index / 2));

/** A histogram: bucket index → count (sparse; only buckets that were hit). */
export type Histogram = Map<number, number>;

/** Adds `from` into `into`. */
export function addHistogram(into: Histogram, from: ReadonlyMap<number, number>): void {
	for (const [bucket, count] of from) into.set(bucket, (into.get(bucket) ?? 0) + count);
}

export const histogramCount = (histogram: ReadonlyMap<number, number>): number => {
	let total = 0;
	for (const count of histogram.values()) total += count;
	return total;
};

/**
 * The q-quantile (0 < q ≤ 1) of a histogram in ms, interpolated linearly
 * inside the bucket where it falls; null for an empty histogram. Rounded to
 * 1 ms (0.1 ms below 10 ms).
 */
export function percentile(histogram: ReadonlyMap<number, number>, q: number): number | null {
	const total = histogramCount(histogram);
	if (total === 0) return null;
	const rank = Math.min(total, Math.max(0, q * total));
	let seen = 0;
	const buckets = [...histogram.keys()].sort((a, b) => a - b);
	for (const bucket of buckets) {
		const count = histogram.get(bucket)!;
		if (count <= 0) continue;
		if (seen + count >= rank) {
			const low = bucketLow(bucket);
			const value = low + (bucketHigh(bucket) - low) * ((rank - seen) / count);
			return value < 10 ? Math.round(value * 10) / 10 : Math.round(value);
		}
		seen += count;
	}
	return bucketHigh(buckets[buckets.length - 1]!);
}

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

/** The UTC minute of epoch ms as a number (minutes since the epoch). */
export const minuteOf = (ms: number): number => Math.floor(ms / 60_000);

/** The stamp of a minute key: `yyyymmddHHMM`, UTC. */
export function minuteStamp(minute: number): string {
	const date = new Date(minute * 60_000);
	return `${date.getUTCFullYear()}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}`;
}

/** The stamp of an hour key: `yyyymmddHH`, UTC (the minute stamp without its minutes). */
export const hourStamp = (hour: number): string => minuteStamp(hour * 60).slice(0, 10);

/** The longest job name recorded, in characters; longer names are cut. */
export const MAX_NAME_LENGTH = 80;

/** Names past the cap of a queue are counted under this one. */
export const OTHER_NAME = '(other)';

/**
 * A job name as the metrics hold it: control characters (C0, DEL, C1) and
 * the bidi controls replaced by "?", "|" (the field separator) by "/", cut
 * to MAX_NAME_LENGTH characters (never inside a character), "(empty)" for
 * an empty name. Terminals still get it through the sanitizer.
 */
export function metricName(name: string): string {
	// eslint-disable-next-line no-control-regex
	const clean = name.replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '?').replace(/\|/g, '/');
	if (clean.length === 0) return '(empty)';
	const chars = [...clean];
	return chars.length > MAX_NAME_LENGTH ? chars.slice(0, MAX_NAME_LENGTH).join('') : clean;
}

/**
 * The fields of one name in a metric hash: `<name>|c` completed, `|f` failed for good, `|r` failed
 * and retried, `|ms` runtime total, `|h<i>` runtime histogram, `|w<i>` wait histogram; and in the
 * all-time totals hash only, `|wms` the wait total (the `_sum` of Prometheus' wait histogram).
 */
export type MetricField = {name: string; kind: 'c' | 'f' | 'r' | 'ms' | 'wms' | 'h' | 'w'; bucket: number};

/** Splits a field (at its last "|", so a name may hold one); undefined for a field that is not ours. */
export function parseField(field: string): MetricField | undefined {
	const bar = field.lastIndexOf('|');
	if (bar < 0) return undefined;
	const name = field.slice(0, bar);
	const kind = field.slice(bar + 1);
	if (kind === 'c' || kind === 'f' || kind === 'r' || kind === 'ms' || kind === 'wms') return {name, kind, bucket: -1};
	const match = /^([hw])(\d{1,2})$/.exec(kind);
	if (!match) return undefined;
	const bucket = Number(match[2]);
	return bucket <= LAST_BUCKET ? {name, kind: match[1] as 'h' | 'w', bucket} : undefined;
}

/** Counts of one name (or of a whole queue) over some minutes, as summed from the metric hashes. */
export type MetricTotals = {c: number; f: number; r: number; ms: number; wms: number; h: Histogram; w: Histogram};

export const emptyTotals = (): MetricTotals => ({c: 0, f: 0, r: 0, ms: 0, wms: 0, h: new Map(), w: new Map()});

export function addTotals(into: MetricTotals, from: MetricTotals): void {
	into.c += from.c;
	into.f += from.f;
	into.r += from.r;
	into.ms += from.ms;
	into.wms += from.wms;
	addHistogram(into.h, from.h);
	addHistogram(into.w, from.w);
}

/** Adds one metric hash (field → count, as HGETALL returns it) into per-name totals. */
export function addHash(byName: Map<string, MetricTotals>, hash: Readonly<Record<string, string>>): void {
	for (const [field, text] of Object.entries(hash)) {
		const parsed = parseField(field);
		const value = Number(text);
		if (!parsed || !Number.isFinite(value)) continue;
		let totals = byName.get(parsed.name);
		if (!totals) byName.set(parsed.name, (totals = emptyTotals()));
		if (parsed.kind === 'h' || parsed.kind === 'w') totals[parsed.kind].set(parsed.bucket, (totals[parsed.kind].get(parsed.bucket) ?? 0) + value);
		else totals[parsed.kind] += value;
	}
}

/** Every name's totals summed into one. */
export function sumTotals(byName: ReadonlyMap<string, MetricTotals>): MetricTotals {
	const sum = emptyTotals();
	for (const totals of byName.values()) addTotals(sum, totals);
	return sum;
}

/** What `metrics` shows of one queue or one job name over a window (README, "JSON shapes"). */
export type MetricsSummary = {
	/** Jobs finished (completed + failed for good) per minute: the average of the last 5 complete minutes. */
	perMinute: number;
	/** Jobs finished in the last complete minute. */
	lastMinute: number;
	completed: number;
	/** Failed for good (in BullMQ's failed set). */
	failed: number;
	/** Attempts that failed and were retried. */
	retried: number;
	/** failed / (completed + failed); null when none finished. */
	failureRate: number | null;
	/** Runtime of every attempt, ms (percentiles from the histogram, ±21%); nulls when none ran. */
	runtime: {avg: number | null; p50: number | null; p95: number | null; p99: number | null};
	/** Wait from due to first start, ms (from the histogram); nulls when none started. */
	wait: {p50: number | null; p95: number | null};
};

/** The summary of window totals, with the last 5 complete minutes (oldest first) for the rate now. */
export function summarize(window: MetricTotals, lastMinutes: readonly MetricTotals[]): MetricsSummary {
	const finished = window.c + window.f;
	const attempts = histogramCount(window.h);
	const perMinuteTotal = lastMinutes.reduce((sum, minute) => sum + minute.c + minute.f, 0);
	const last = lastMinutes[lastMinutes.length - 1];
	return {
		perMinute: lastMinutes.length === 0 ? 0 : Math.round((perMinuteTotal / lastMinutes.length) * 10) / 10,
		lastMinute: last ? last.c + last.f : 0,
		completed: window.c,
		failed: window.f,
		retried: window.r,
		failureRate: finished === 0 ? null : Math.round((window.f / finished) * 10_000) / 10_000,
		runtime: {
			avg: attempts === 0 ? null : Math.round(window.ms / attempts),
			p50: percentile(window.h, 0.5),
			p95: percentile(window.h, 0.95),
			p99: percentile(window.h, 0.99),
		},
		wait: {p50: percentile(window.w, 0.5), p95: percentile(window.w, 0.95)},
	};
}
