/** Snapshot → table rows for queues, workers and schedules (pure). */
import type {QueueSnapshot, ScheduleInfo, Snapshot, WorkerInfo} from '../shared/types.js';
import type {Cell} from '../output/table.js';
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

/** One line about the server. */
/** Redis's health on one line; the console leaves the address out (its header has it). */
export function redisLine(snapshot: Snapshot, options: {address?: boolean} = {}): string {
	const {redis} = snapshot;
	const memory = `${formatBytes(redis.usedMemory)} / ${redis.maxMemory > 0 ? formatBytes(redis.maxMemory) : 'no limit'}`;
	const nodes = redis.mode === 'cluster' ? ` (${redis.nodes} masters)` : '';
	return `Redis ${options.address === false ? '' : `${redis.url} · `}${redis.mode}${nodes} · v${redis.version} · memory ${memory} · policy ${redis.evictionPolicy} · ${redis.latencyMs} ms`;
}
