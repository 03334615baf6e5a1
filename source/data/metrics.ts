/**
 * Reading the job metrics the workers record (README, "Metrics";
 * runtime/metrics-recorder.ts writes them). Reads are bounded by the window,
 * never by the number of jobs: one pipelined round trip of HGETALLs over the
 * window's whole hours (hour hashes) and its ragged edges (minute hashes, at
 * most 118), plus the last 5 minutes for the rate now; beyond 24 h (when the
 * minute hashes are gone) whole hours only. The sums and percentiles are the
 * pure functions of common/histogram.ts, which the console may import too.
 * It only reads.
 */
import {execValues, type Connection} from './connection.js';
import {metricsHourKey, metricsMinuteKey} from './keys.js';
import {addHash, bucketHigh, bucketLow, emptyTotals, hourStamp, minuteOf, minuteStamp, summarize, sumTotals, type MetricTotals} from '../common/histogram.js';
import type {MetricsRead, MinuteSeries, QueueMetrics} from '../common/types.js';

export {percentile, summarize, addHash, sumTotals, bucketOf, bucketLow, bucketHigh} from '../common/histogram.js';
export type {MetricsSummary, MetricTotals} from '../common/histogram.js';
export type {MetricsRead, MinuteSeries, QueueMetrics} from '../common/types.js';

/** The minute hashes are kept at least this long: a window up to it reads minutes at its edges. */
export const MINUTE_WINDOW_MS = 24 * 3_600_000;

/** The hash keys of a window of one queue: whole hours from hour hashes, the rest from minute hashes. */
export function windowKeys(prefix: string, queue: string, sinceMs: number, now: number): {keys: string[]; from: number; resolution: 'minute' | 'hour'} {
	const end = minuteOf(now);
	const start = end - Math.max(1, Math.ceil(sinceMs / 60_000)) + 1;
	if (sinceMs > MINUTE_WINDOW_MS) {
		const keys: string[] = [];
		for (let hour = Math.floor(start / 60); hour <= Math.floor(end / 60); hour++) keys.push(metricsHourKey(prefix, queue, hourStamp(hour)));
		return {keys, from: Math.floor(start / 60) * 3_600_000, resolution: 'hour'};
	}
	const firstHour = Math.ceil(start / 60);
	const lastHour = Math.floor((end + 1) / 60) - 1;
	const minutes = (from: number, to: number) => Array.from({length: Math.max(0, to - from + 1)}, (_, index) => metricsMinuteKey(prefix, queue, minuteStamp(from + index)));
	if (lastHour < firstHour) return {keys: minutes(start, end), from: start * 60_000, resolution: 'minute'};
	const hours = Array.from({length: lastHour - firstHour + 1}, (_, index) => metricsHourKey(prefix, queue, hourStamp(firstHour + index)));
	return {keys: [...minutes(start, firstHour * 60 - 1), ...hours, ...minutes((lastHour + 1) * 60, end)], from: start * 60_000, resolution: 'minute'};
}

/** The minute hashes of the last `count` complete minutes, oldest first. */
const lastMinuteKeys = (prefix: string, queue: string, count: number, now: number): string[] =>
	Array.from({length: count}, (_, index) => metricsMinuteKey(prefix, queue, minuteStamp(minuteOf(now) - count + index)));

/** Runs HGETALL on every key in one pipeline; a missing key reads as an empty hash. */
async function readHashes(connection: Connection, keys: readonly string[]): Promise<Map<string, Record<string, string>>> {
	const pipeline = connection.client.pipeline();
	for (const key of keys) pipeline.hgetall(key);
	const values = await execValues(connection, pipeline);
	return new Map(keys.map((key, index) => [key, (values[index] ?? {}) as Record<string, string>]));
}

/** Per-name totals of some hashes. */
function totalsOf(hashes: ReadonlyMap<string, Record<string, string>>, keys: readonly string[]): Map<string, MetricTotals> {
	const byName = new Map<string, MetricTotals>();
	for (const key of keys) addHash(byName, hashes.get(key) ?? {});
	return byName;
}

/**
 * The metrics of `queues` over the last `sinceMs` (rate now, completed,
 * failed, failure rate, runtime and wait percentiles), and per job name with
 * `byName`. One round trip; writes nothing.
 */
export async function readQueueMetrics(connection: Connection, queues: readonly string[], options: {sinceMs: number; byName?: boolean; histograms?: boolean; now?: number}): Promise<MetricsRead> {
	const now = options.now ?? Date.now();
	const plans = queues.map(queue => ({queue, window: windowKeys(connection.prefix, queue, options.sinceMs, now), last: lastMinuteKeys(connection.prefix, queue, 5, now)}));
	const hashes = await readHashes(connection, [...new Set(plans.flatMap(plan => [...plan.window.keys, ...plan.last]))]);
	const result: QueueMetrics[] = plans.map(({queue, window, last}) => {
		const names = totalsOf(hashes, window.keys);
		const lastByMinute = last.map(key => totalsOf(hashes, [key]));
		const summary = summarize(sumTotals(names), lastByMinute.map(sumTotals));
		if (!options.byName) return {queue, ...summary};
		const perName = [...names.keys()].map(name => ({
			name,
			...summarize(names.get(name)!, lastByMinute.map(minute => minute.get(name) ?? emptyTotals())),
			totalMs: names.get(name)!.ms,
			...(options.histograms ? {runtimeHistogram: [...names.get(name)!.h].sort(([a], [b]) => a - b).map(([bucket, count]) => ({fromMs: bucketLow(bucket), toMs: bucketHigh(bucket), count}))} : {}),
		}));
		perName.sort((a, b) => b.completed + b.failed - (a.completed + a.failed) || a.name.localeCompare(b.name));
		return {queue, ...summary, names: perName};
	});
	const first = plans[0]?.window ?? windowKeys(connection.prefix, '', options.sinceMs, now);
	return {from: first.from, to: now, resolution: first.resolution, queues: result};
}

/**
 * Minutes this close to now are read again on every poll: a worker may still be writing them
 * (a job finishing as the minute turns, or a host whose clock is a little behind ours).
 */
export const OPEN_MINUTES = 3;
/** Every minute of a queue's window is read again this often, in case a writer was later still. */
export const REREAD_ALL_MS = 10 * 60_000;

/** One queue's completed and failed by minute number, and when its whole window was last read. */
type SeriesEntry = {sums: Map<number, {c: number; f: number}>; fullAt: number};

/**
 * Completed and failed per minute of several queues, polled: the first read of a queue takes
 * every minute of the window, later ones only the last OPEN_MINUTES and any the window has
 * gained, since a minute hash does not change once its minute is over (docs/ARCHITECTURE.md,
 * "Job metrics"). A queues view of 50 queues polled every 15 s reads 150 small hashes instead of
 * 3,000. Each queue's whole window is read again every REREAD_ALL_MS. Reads only.
 */
export class MinuteSeriesReader {
	readonly #queues = new Map<string, SeriesEntry>();

	constructor(private readonly connection: Connection) {}

	async read(queues: readonly string[], minutes: number, now = Date.now()): Promise<MinuteSeries[]> {
		const count = Math.min(1440, Math.max(1, Math.floor(minutes)));
		const end = minuteOf(now);
		const first = end - count + 1;
		const starts = Array.from({length: count}, (_, index) => first + index);
		const wanted: Array<{entry: SeriesEntry; minute: number; key: string}> = [];
		const entries = queues.map(queue => {
			let entry = this.#queues.get(queue);
			if (!entry || now - entry.fullAt >= REREAD_ALL_MS || now < entry.fullAt) this.#queues.set(queue, (entry = {sums: new Map(), fullAt: now}));
			for (const minute of entry.sums.keys()) if (minute < first || minute > end - OPEN_MINUTES) entry.sums.delete(minute);
			for (const minute of starts) if (!entry.sums.has(minute)) wanted.push({entry, minute, key: metricsMinuteKey(this.connection.prefix, queue, minuteStamp(minute))});
			return entry;
		});
		let hashes: Map<string, Record<string, string>>;
		try {
			hashes = await readHashes(this.connection, wanted.map(({key}) => key));
		} catch (error) {
			// Redis may be away, and workers keep their counts until it is back: read whole windows next time.
			this.#queues.clear();
			throw error;
		}
		// Into the entries this read began with: a read that failed meanwhile may have cleared the map.
		for (const {entry, minute, key} of wanted) {
			const sum = sumTotals(totalsOf(hashes, [key]));
			entry.sums.set(minute, {c: sum.c, f: sum.f});
		}
		// Queues not asked for in a whole reread period are forgotten: scrolling through a thousand
		// queues does not keep a thousand series.
		for (const [queue, entry] of this.#queues) if (now - entry.fullAt >= 2 * REREAD_ALL_MS) this.#queues.delete(queue);
		return queues.map((queue, index) => {
			const sums = starts.map(minute => entries[index]!.sums.get(minute) ?? {c: 0, f: 0});
			return {queue, minutes: starts.map(minute => minute * 60_000), completed: sums.map(sum => sum.c), failed: sums.map(sum => sum.f)};
		});
	}
}
