/**
 * The worker's job metrics (README, "Metrics"), as Sidekiq 7 records them:
 * counted in memory per queue × job name × minute — completed, failed for
 * good, failed and retried, total runtime, a log-scale runtime histogram and
 * a wait histogram — and flushed every few seconds in ONE transaction
 * (MULTI/EXEC, one round trip) of HINCRBYs into a minute hash and its hour's
 * rollup, each with an absolute expiry — and into the queue's all-time
 * totals hash, which only ever grows (Prometheus' counters read it: a sum
 * over the hour hashes would go down as hours expire), with the time of the
 * flush for a "stale metrics" alert. Nothing here touches the job path but
 * `record` (a few Map lookups and additions).
 *
 * A flush that fails (Redis down, out of memory) never reaches job
 * processing: it is logged once, its counts go back into the batch and are
 * sent with the next one; memory stays bounded because at most
 * `maxPendingMinutes` minutes are kept (the oldest are dropped, and said so).
 * A worker that dies loses the counts of one flush interval, never a job.
 */
import type {RedisClient} from '../data/connection.js';
import {metricsFlushedKey, metricsHourKey, metricsMinuteKey, metricsTotalKey} from '../data/keys.js';
import {bucketOf, hourStamp, metricName, minuteOf, minuteStamp, OTHER_NAME} from '../common/histogram.js';
import {atMost} from '../util/bounded.js';
import {errorFields, type Logger} from './logger.js';

export type MetricsSettings = {
	/** How long a minute hash lives after its minute ends (ms). */
	minuteRetentionMs: number;
	/** How long an hour hash lives after its hour ends (ms). */
	hourRetentionMs: number;
	flushEveryMs: number;
	/** Distinct job names recorded per queue; later ones count as "(other)". */
	maxNames: number;
	/** Minutes of counts kept while flushes fail; older ones are dropped. */
	maxPendingMinutes: number;
};

export const DEFAULT_METRICS: MetricsSettings = {
	minuteRetentionMs: 24 * 3_600_000,
	hourRetentionMs: 7 * 24 * 3_600_000,
	flushEveryMs: 5000,
	maxNames: 100,
	maxPendingMinutes: 60,
};

export type Outcome = 'completed' | 'failed' | 'retried';

/** With nothing to send, a flush still stamps the flush time this often: an idle worker is not "stale". */
export const IDLE_STAMP_EVERY_MS = 60_000;

/** One queue × name × minute. */
class Cell {
	c = 0;
	f = 0;
	r = 0;
	ms = 0;
	/** The wait total (ms), for the totals hash only. */
	wms = 0;
	readonly h = new Map<number, number>();
	readonly w = new Map<number, number>();

	add(other: Cell): void {
		this.c += other.c;
		this.f += other.f;
		this.r += other.r;
		this.ms += other.ms;
		this.wms += other.wms;
		for (const [bucket, count] of other.h) this.h.set(bucket, (this.h.get(bucket) ?? 0) + count);
		for (const [bucket, count] of other.w) this.w.set(bucket, (this.w.get(bucket) ?? 0) + count);
	}

	get jobs(): number {
		return this.c + this.f + this.r;
	}
}

/** minute → queue → name → cell */
type Batch = Map<number, Map<string, Map<string, Cell>>>;

export class MetricsRecorder {
	readonly #client: RedisClient;
	readonly #prefix: string;
	readonly #settings: MetricsSettings;
	readonly #log: Logger;
	#batch: Batch = new Map();
	/** Per queue: raw job name → the name recorded (bounded by maxNames). */
	readonly #names = new Map<string, Map<string, string>>();
	#flushing: Promise<void> | undefined;
	#timer: NodeJS.Timeout | undefined;
	#failing = false;
	#dropped = 0;
	/** When the flush time was last written (epoch ms), 0 before. */
	#stamped = 0;

	constructor(client: RedisClient, prefix: string, settings: MetricsSettings, log: Logger) {
		this.#client = client;
		this.#prefix = prefix;
		this.#settings = settings;
		this.#log = log;
	}

	/** Flushes every `flushEveryMs` until `close`. */
	start(): void {
		this.#timer = setInterval(() => void this.flush(), this.#settings.flushEveryMs);
		this.#timer.unref();
	}

	/**
	 * Counts one finished attempt. `waitMs` is how long the job waited from
	 * when it became due to its first start (undefined for a retry, whose
	 * due time BullMQ does not keep).
	 */
	record(queue: string, name: string, outcome: Outcome, runMs: number, waitMs: number | undefined, now = Date.now()): void {
		const minute = minuteOf(now);
		let queues = this.#batch.get(minute);
		if (!queues) this.#batch.set(minute, (queues = new Map()));
		let cells = queues.get(queue);
		if (!cells) queues.set(queue, (cells = new Map()));
		const recorded = this.#nameOf(queue, name);
		let cell = cells.get(recorded);
		if (!cell) cells.set(recorded, (cell = new Cell()));
		if (outcome === 'completed') cell.c++;
		else if (outcome === 'failed') cell.f++;
		else cell.r++;
		const ms = runMs > 0 ? Math.round(runMs) : 0;
		cell.ms += ms;
		const bucket = bucketOf(ms);
		cell.h.set(bucket, (cell.h.get(bucket) ?? 0) + 1);
		if (waitMs !== undefined) {
			cell.wms += waitMs > 0 ? Math.round(waitMs) : 0;
			const waitBucket = bucketOf(waitMs);
			cell.w.set(waitBucket, (cell.w.get(waitBucket) ?? 0) + 1);
		}
	}

	/** Sends what was counted since the last flush; one at a time (a flush while one runs joins it). */
	async flush(): Promise<void> {
		// A flush still waiting (Redis down: the worker's connection queues commands until it is back) holds its
		// counts; the ones counted meanwhile stay bounded too.
		if (this.#flushing) this.#trim();
		this.#flushing ??= this.#send().finally(() => {
			this.#flushing = undefined;
		});
		return this.#flushing;
	}

	/** Stops the timer and flushes what is left, waiting at most `ms` (the process is exiting). */
	async close(ms = 1500): Promise<void> {
		clearInterval(this.#timer);
		await atMost((async () => {
			await this.#flushing;
			await this.flush();
		})(), ms);
	}

	#nameOf(queue: string, name: string): string {
		let names = this.#names.get(queue);
		if (!names) this.#names.set(queue, (names = new Map()));
		const known = names.get(name);
		if (known !== undefined) return known;
		// Past the cap, names are not remembered either: memory stays bounded whatever producers send.
		if (names.size >= this.#settings.maxNames) return OTHER_NAME;
		const recorded = metricName(name);
		names.set(name, recorded);
		return recorded;
	}

	async #send(): Promise<void> {
		const batch = this.#batch;
		const now = Date.now();
		if (batch.size === 0) return this.#stampIdle(now);
		this.#batch = new Map();
		const transaction = this.#client.multi();
		const commands = this.#queue(transaction, batch, now);
		let replies: Array<[Error | null, unknown]> | null;
		try {
			replies = await transaction.exec();
			if (!replies) throw new Error('the metrics transaction was discarded');
		} catch (error) {
			this.#keep(batch);
			if (!this.#failing) this.#log.warn({...errorFields(error), retryInMs: this.#settings.flushEveryMs}, 'metrics flush failed; counting on and retrying');
			this.#failing = true;
			return;
		}
		const refused = replies.find(([error]) => error)?.[0];
		if (refused) this.#log.warn({...errorFields(refused), commands}, 'metrics flush partly refused by Redis');
		if (this.#failing) this.#log.info(this.#dropped > 0 ? {dropped: this.#dropped} : {}, 'metrics flush restored');
		this.#failing = false;
		this.#dropped = 0;
		this.#stamped = now;
	}

	/** Nothing counted: the flush time alone, at most once every IDLE_STAMP_EVERY_MS (a failure is the next flush's to say). */
	async #stampIdle(now: number): Promise<void> {
		if (now - this.#stamped < IDLE_STAMP_EVERY_MS) return;
		try {
			await this.#client.set(metricsFlushedKey(this.#prefix), String(now), 'PX', this.#settings.hourRetentionMs);
			this.#stamped = now;
		} catch {
			// Redis down or full: the stamp grows old, which is what the "stale metrics" alert is for.
		}
	}

	/**
	 * Queues the HINCRBYs and expiries of `batch` on `transaction` — minute and hour hashes, the
	 * all-time totals, the flush time; returns how many commands.
	 */
	#queue(transaction: ReturnType<RedisClient['multi']>, batch: Batch, now: number): number {
		const {minuteRetentionMs, hourRetentionMs} = this.#settings;
		let commands = this.#queueTotals(transaction, batch);
		transaction.set(metricsFlushedKey(this.#prefix), String(now), 'PX', hourRetentionMs);
		commands++;
		for (const [minute, queues] of batch) {
			const hour = Math.floor(minute / 60);
			for (const [queue, cells] of queues) {
				const minuteKey = metricsMinuteKey(this.#prefix, queue, minuteStamp(minute));
				const hourKey = metricsHourKey(this.#prefix, queue, hourStamp(hour));
				for (const [name, cell] of cells) {
					for (const [field, by] of fieldsOf(name, cell)) {
						transaction.hincrby(minuteKey, field, by).hincrby(hourKey, field, by);
						commands += 2;
					}
				}
				transaction.pexpireat(minuteKey, (minute + 1) * 60_000 + minuteRetentionMs).pexpireat(hourKey, (hour + 1) * 3_600_000 + hourRetentionMs);
				commands += 2;
			}
		}
		return commands;
	}

	/** The batch summed over its minutes into each queue's totals hash, which then lives the hour retention from now. */
	#queueTotals(transaction: ReturnType<RedisClient['multi']>, batch: Batch): number {
		const byQueue = new Map<string, Map<string, Cell>>();
		for (const queues of batch.values()) {
			for (const [queue, cells] of queues) {
				let sums = byQueue.get(queue);
				if (!sums) byQueue.set(queue, (sums = new Map()));
				for (const [name, cell] of cells) {
					let sum = sums.get(name);
					if (!sum) sums.set(name, (sum = new Cell()));
					sum.add(cell);
				}
			}
		}
		let commands = 0;
		for (const [queue, sums] of byQueue) {
			const key = metricsTotalKey(this.#prefix, queue);
			for (const [name, cell] of sums) {
				for (const [field, by] of fieldsOf(name, cell, true)) {
					transaction.hincrby(key, field, by);
					commands++;
				}
			}
			transaction.pexpire(key, this.#settings.hourRetentionMs);
			commands++;
		}
		return commands;
	}

	/** Puts a batch that could not be sent back, keeping at most maxPendingMinutes minutes. */
	#keep(batch: Batch): void {
		for (const [minute, queues] of batch) {
			let into = this.#batch.get(minute);
			if (!into) this.#batch.set(minute, (into = new Map()));
			for (const [queue, cells] of queues) {
				let intoCells = into.get(queue);
				if (!intoCells) into.set(queue, (intoCells = new Map()));
				for (const [name, cell] of cells) {
					const existing = intoCells.get(name);
					if (existing) existing.add(cell);
					else intoCells.set(name, cell);
				}
			}
		}
		this.#trim();
	}

	/** Drops the oldest minutes beyond maxPendingMinutes, counting their jobs. */
	#trim(): void {
		const excess = this.#batch.size - this.#settings.maxPendingMinutes;
		if (excess <= 0) return;
		const minutes = [...this.#batch.keys()].sort((a, b) => a - b).slice(0, excess);
		for (const minute of minutes) {
			for (const cells of this.#batch.get(minute)!.values()) for (const cell of cells.values()) this.#dropped += cell.jobs;
			this.#batch.delete(minute);
		}
	}
}

/** The HINCRBY field/increment pairs of one cell (zeros left out); the wait total only for the totals hash. */
function fieldsOf(name: string, cell: Cell, withWaitTotal = false): Array<[string, number]> {
	const fields: Array<[string, number]> = [];
	if (cell.c) fields.push([`${name}|c`, cell.c]);
	if (cell.f) fields.push([`${name}|f`, cell.f]);
	if (cell.r) fields.push([`${name}|r`, cell.r]);
	if (cell.ms) fields.push([`${name}|ms`, cell.ms]);
	if (withWaitTotal && cell.wms) fields.push([`${name}|wms`, cell.wms]);
	for (const [bucket, count] of cell.h) fields.push([`${name}|h${bucket}`, count]);
	for (const [bucket, count] of cell.w) fields.push([`${name}|w${bucket}`, count]);
	return fields;
}
