/** Snapshot → table rows for queues, workers and schedules (pure). */
import type {QueueSnapshot, ScheduleInfo, Snapshot, WorkerInfo} from '../shared/types.js';
import type {Cell} from '../output/table.js';
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

/** A queue with jobs to hand out, not paused, and no worker connected for it: nobody is serving it. */
export const unserved = (queue: QueueSnapshot): boolean => !queue.paused && queue.workers === 0 && queue.counts.waiting + queue.counts.prioritized > 0;

/** The console's row of a queue: its cells, and how healthy it is (red: nobody serving its jobs; yellow: paused or over its threshold; a red FAILED count). */
export function queueTableRow(queue: QueueSnapshot): TableRow {
	const cells = queueRow(queue).map(cell => String(cell));
	if (unserved(queue)) cells[1] = 'NO WORKER';
	const tone: Tone = unserved(queue) ? 'bad' : queue.paused || queue.overThreshold ? 'warn' : undefined;
	return {id: queue.name, cells, tone, ...(queue.counts.failed > 0 ? {cellTones: {8: 'bad'}, problem: true} : {}), search: queue.name.toLowerCase()};
}

/** The totals row of the queues table: every count summed. */
export function queueTotals(queues: readonly QueueSnapshot[]): string[] {
	const sum = (pick: (queue: QueueSnapshot) => number) => String(queues.reduce((total, queue) => total + pick(queue), 0));
	const {counts} = {counts: (state: keyof QueueSnapshot['counts']) => sum(queue => queue.counts[state])};
	return [`TOTAL (${queues.length})`, '', counts('waiting'), counts('active'), counts('delayed'), counts('prioritized'), counts('waiting-children'), counts('completed'), counts('failed'), sum(queue => queue.workers), sum(queue => queue.size), ''];
}

/** One line about the server. */
/** Redis's health on one line; the console leaves the address out (its header has it). */
export function redisLine(snapshot: Snapshot, options: {address?: boolean} = {}): string {
	const {redis} = snapshot;
	const memory = `${formatBytes(redis.usedMemory)} / ${redis.maxMemory > 0 ? formatBytes(redis.maxMemory) : 'no limit'}`;
	const nodes = redis.mode === 'cluster' ? ` (${redis.nodes} masters)` : '';
	return `Redis ${options.address === false ? '' : `${redis.url} · `}${redis.mode}${nodes} · v${redis.version} · memory ${memory} · policy ${redis.evictionPolicy} · ${redis.latencyMs} ms`;
}
