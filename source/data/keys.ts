/**
 * BullMQ's key layout (`<prefix>:<queue>:<suffix>`) and the few keys of our
 * own, kept under `<prefix>:saccos-queue:` so that they share a Cluster hash
 * slot with the queues when the prefix carries a hash tag.
 */
import type {JobState} from '../common/types.js';

/** The Redis key holding the jobs of a state. */
export const stateKey = (prefix: string, queue: string, state: JobState): string =>
	`${prefix}:${queue}:${state === 'waiting' ? 'wait' : state}`;

export const queueKey = (prefix: string, queue: string, suffix: string): string => `${prefix}:${queue}:${suffix}`;

export const jobKey = (prefix: string, queue: string, id: string): string => `${prefix}:${queue}:${id}`;

/** The set of queue names recorded by our workers, dispatch and `queues discover`. */
export const registryKey = (prefix: string): string => `${prefix}:saccos-queue:queues`;

/** Keys whose existence proves a BullMQ queue is there (any one is enough). */
export const queueMarkerSuffixes = ['meta', 'id', 'events', 'wait', 'active', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed', 'repeat', 'paused'];

/** BullMQ's client name for a queue's connections (Worker sets `<this>` or `<this>:w:<name>`). */
export const clientNameFor = (prefix: string, queue: string): string => `${prefix}:${Buffer.from(queue).toString('base64')}`;

/** The index of live workers: a sorted set of worker id → last heartbeat (ms). */
export const workersIndexKey = (prefix: string): string => `${prefix}:saccos-queue:workers`;

/** One worker's heartbeat record (a hash that expires soon after the process dies). */
export const workerKey = (prefix: string, id: string): string => `${prefix}:saccos-queue:worker:${id}`;

/** The pub/sub channel workers and the scheduler listen on for remote control. */
export const controlChannel = (prefix: string): string => `${prefix}:saccos-queue:control`;

/** The Job Schedulers the scheduler owns: a hash of `<queue>/<id>` → when it first created it (ms). */
export const ownedSchedulesKey = (prefix: string): string => `${prefix}:saccos-queue:schedules`;

/** One minute of recorded job metrics of a queue: a hash, `stamp` is `yyyymmddHHMM` (UTC). */
export const metricsMinuteKey = (prefix: string, queue: string, stamp: string): string => `${prefix}:saccos-queue:metrics:${queue}:m:${stamp}`;

/** One hour of recorded job metrics of a queue (the minutes' rollup): a hash, `stamp` is `yyyymmddHH` (UTC). */
export const metricsHourKey = (prefix: string, queue: string, stamp: string): string => `${prefix}:saccos-queue:metrics:${queue}:h:${stamp}`;

/**
 * A queue's all-time metric totals (the same fields per job name, plus the wait total): only ever
 * incremented, so Prometheus' counters read from it never go down while it is kept (it expires
 * the hour retention after the last flush that touched it).
 */
export const metricsTotalKey = (prefix: string, queue: string): string => `${prefix}:saccos-queue:metrics:${queue}:total`;

/** When a worker last flushed its metrics (epoch ms, a string): for a "stale metrics" alert. */
export const metricsFlushedKey = (prefix: string): string => `${prefix}:saccos-queue:metrics-flushed`;
