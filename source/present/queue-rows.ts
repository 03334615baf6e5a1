/** Snapshot → table rows for queues, workers and schedules (pure). */
import type {MinuteSeries, QueueSnapshot, ScheduleInfo, Snapshot, WorkerInfo} from '../common/types.js';
import type {Cell} from '../output/table.js';
import {formatDuration} from '../util/duration.js';
import {sparkline} from './chart.js';
import type {TableRow, Tone} from './table-model.js';
import {formatBytes, formatRelative, formatTime} from './format.js';

export const queueHead = ['QUEUE', 'STATE', 'WAITING', 'ACTIVE', 'DELAYED', 'PRIORITIZED', 'W-CHILDREN', 'COMPLETED', 'FAILED', 'WORKERS', 'SIZE', 'THRESHOLD'];

export function queueRow(queue: QueueSnapshot): Cell[] {
	const state = queue.paused ? 'paused' : queue.exists ? 'active' : 'empty';
	return [
		queue.name,
		queue.overThreshold ? `${state} OVER` : state,
		queue.counts.waiting,
		queue.counts.active,
		queue.counts.delayed,
		queue.counts.prioritized,
		queue.counts['waiting-children'],
		queue.counts.completed,
		queue.counts.failed,
		queue.workers,
		queue.size,
		queue.threshold ?? '-',
	];
}

export const workerHead = ['QUEUE', 'WORKER', 'ADDRESS', 'CONNECTED', 'IDLE'];

export const workerRow = (worker: WorkerInfo): Cell[] => [
	worker.queue,
	worker.workerName ?? worker.name,
	worker.addr,
	formatRelative(Date.now() - worker.age * 1000).replace(/ ago$/, ''),
	`${worker.idle}s`,
];

export const scheduleHead = ['SCHEDULE', 'QUEUE', 'CRON', 'TIME ZONE', 'NEXT RUN', 'IN REDIS'];

export const scheduleRow = (schedule: ScheduleInfo): Cell[] => [
	schedule.id,
	schedule.queue,
	schedule.cron ?? '-',
	schedule.timezone ?? '-',
	schedule.nextRun === null ? '-' : `${formatTime(schedule.nextRun, schedule.timezone ?? undefined)} (${formatRelative(schedule.nextRun)})`,
	schedule.inRedis ? 'yes' : 'no (scheduler not running?)',
];

/** Our workers registered for a queue, and how many of them are paused (workers pause/resume). */
export type QueueWorkers = {registered: number; paused: number};

/**
 * A queue with jobs to hand out, not paused, and nobody serving it: no worker connected, or every
 * one of our workers for it paused (a paused worker keeps its connection, so BullMQ still counts it).
 */
export const unserved = (queue: QueueSnapshot, ours?: QueueWorkers): boolean =>
	!queue.paused && queue.counts.waiting + queue.counts.prioritized > 0 && (queue.workers === 0 || (ours !== undefined && ours.registered > 0 && ours.paused === ours.registered && queue.workers <= ours.registered));

/** The console's queues table: the counts, then how long the next job has waited and whether the queue is moving. */
export const consoleQueueHead = [...queueHead, 'LATENCY', 'JOBS/MIN', 'LAST 30M', 'FAILED 1H'];
/** The oldest waiting job has waited longer than this: the LATENCY cell is yellow. */
export const LONG_WAIT_MS = 60_000;

/** Jobs finished per minute now: the last 5 complete minutes (the current one is still filling). */
function rateNow(finished: readonly number[]): number | null {
	const recent = finished.slice(-6, -1);
	return recent.length > 0 ? recent.reduce((sum, count) => sum + count, 0) / recent.length : null;
}

/**
 * The console's row of a queue: its cells, and how healthy it is (red: nobody serving its jobs;
 * yellow: paused, over its threshold or waiting long; a red FAILED count). `series` is the last
 * hour per minute (the metrics the workers record); without it the rate cells say "-".
 */
export function queueTableRow(queue: QueueSnapshot, series?: MinuteSeries, ours?: QueueWorkers): TableRow {
	const cells = queueRow(queue).map(cell => String(cell));
	const nobody = unserved(queue, ours);
	if (nobody) cells[1] = queue.workers === 0 ? 'NO WORKER' : 'ALL PAUSED';
	if (ours && ours.paused > 0) cells[9] = `${queue.workers} (${ours.paused} paused)`;
	const wait = queue.oldestWaitMs;
	const finished = series ? series.completed.map((count, index) => count + series.failed[index]!) : [];
	const perMinute = series ? rateNow(finished) : null;
	const failedHour = series ? series.failed.reduce((sum, count) => sum + count, 0) : null;
	const rate = perMinute === null ? '-' : perMinute >= 10 ? String(Math.round(perMinute)) : String(Math.round(perMinute * 10) / 10);
	cells.push(wait === null ? '-' : formatDuration(wait), rate, series ? sparkline(finished, 30) : '', failedHour === null ? '-' : String(failedHour));
	const long = wait !== null && wait > LONG_WAIT_MS;
	const tone: Tone = nobody ? 'bad' : queue.paused || queue.overThreshold || long ? 'warn' : undefined;
	const cellTones: Record<number, Tone> = {...(queue.counts.failed > 0 ? {8: 'bad'} : {}), ...(long ? {12: 'warn'} : {}), ...(failedHour ? {15: 'bad'} : {})};
	const sortKeys = [...queueRow(queue).map(() => null), wait, perMinute, perMinute, failedHour];
	sortKeys[9] = queue.workers;
	return {id: queue.name, cells, tone, cellTones, sortKeys, ...(queue.counts.failed > 0 ? {problem: true} : {}), search: queue.name.toLowerCase()};
}

/**
 * Equal own fields, and equal fields one level down in fields that are objects (a queue's counts).
 * Not node:util's isDeepStrictEqual: it allocates its key lists on every call, and at 500 queues
 * it allocated 1.6 MB a second here, most of what this cache saves.
 */
function sameFields(a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>, depth = 1): boolean {
	let count = 0;
	for (const key in a) {
		if (!Object.hasOwn(a, key)) continue;
		count++;
		const value = a[key];
		const other = b[key];
		if (value === other) continue;
		if (depth === 0 || typeof value !== 'object' || value === null || typeof other !== 'object' || other === null) return false;
		if (!sameFields(value as Record<string, unknown>, other as Record<string, unknown>, depth - 1)) return false;
	}
	for (const key in b) if (Object.hasOwn(b, key)) count--;
	return count === 0;
}

/**
 * The console's rows of queues, built again only for a queue whose snapshot, series or workers
 * changed: a refresh where only some counts moved keeps every other row (the same objects, which
 * the table's props comparison then passes at once). At 500 queues that was a third of what a
 * refresh allocated. A queue gone from the snapshot is forgotten.
 */
export class QueueRowCache {
	readonly #rows = new Map<string, {queue: QueueSnapshot; series: MinuteSeries | undefined; ours: QueueWorkers | undefined; row: TableRow; seen: number}>();
	#refresh = 0;

	rows(queues: readonly QueueSnapshot[], series: ReadonlyMap<string, MinuteSeries>, ours: ReadonlyMap<string, QueueWorkers>): TableRow[] {
		const refresh = ++this.#refresh;
		const rows = queues.map(queue => {
			const mine = series.get(queue.name);
			const workers = ours.get(queue.name);
			const hit = this.#rows.get(queue.name);
			if (hit && hit.series === mine && sameFields(hit.queue, queue) && (hit.ours === workers || (hit.ours !== undefined && workers !== undefined && sameFields(hit.ours, workers)))) {
				hit.seen = refresh;
				return hit.row;
			}
			const row = queueTableRow(queue, mine, workers);
			this.#rows.set(queue.name, {queue, series: mine, ours: workers, row, seen: refresh});
			return row;
		});
		for (const [name, entry] of this.#rows) if (entry.seen !== refresh) this.#rows.delete(name);
		return rows;
	}
}

/** The totals row of the queues table: every count summed. */
export function queueTotals(queues: readonly QueueSnapshot[]): string[] {
	const sum = (pick: (queue: QueueSnapshot) => number) => String(queues.reduce((total, queue) => total + pick(queue), 0));
	const {counts} = {counts: (state: keyof QueueSnapshot['counts']) => sum(queue => queue.counts[state])};
	return [`TOTAL (${queues.length})`, '', counts('waiting'), counts('active'), counts('delayed'), counts('prioritized'), counts('waiting-children'), counts('completed'), counts('failed'), sum(queue => queue.workers), sum(queue => queue.size), '', '', '', '', ''];
}

/** One line about the server. */
/** Redis's health on one line; the console leaves the address out (its header has it). */
export function redisLine(snapshot: Snapshot, options: {address?: boolean} = {}): string {
	const {redis} = snapshot;
	const memory = `${formatBytes(redis.usedMemory)} / ${redis.maxMemory > 0 ? formatBytes(redis.maxMemory) : 'no limit'}`;
	const nodes = redis.mode === 'cluster' ? ` (${redis.nodes} masters)` : '';
	const role = redis.role === 'slave' ? ' replica' : redis.role === 'master' ? ' master' : '';
	// Latency and memory first: where a narrow terminal cuts the line (the console at 80 columns), it cuts the version.
	return `Redis ${options.address === false ? '' : `${redis.url} · `}${redis.mode}${nodes}${role} · ${redis.latencyMs} ms · memory ${memory} · policy ${redis.evictionPolicy} · v${redis.version}`;
}
