/**
 * What the worker's parts share: a Plan per queue (its BullMQ Worker and its
 * settings, resolved once at start, off the hot path) and an Active per
 * running job (its run, where it came from, its lock token).
 */
import {Worker as BullWorker, type Job} from 'bullmq';
import type {Config, QueueConfig} from '../config.js';
import type {Connection} from '../data/connection.js';
import {errorFields, type Logger} from './logger.js';
import {JobRun} from './run-job.js';

/** The worker's settings that shape its plans (a subset of WorkerOptions). */
export type PlanOptions = {
	queues: string[];
	tries?: number;
	timeout?: number;
	sleep: number;
	lockDurationMs: number;
	stalledIntervalMs: number;
};

/** How the worker runs one queue's jobs. */
export type Plan = {
	queue: string;
	worker: BullWorker;
	timeoutSeconds: number;
	isolation: QueueConfig['isolation'];
	/** Runs on the main thread (isolation "none"), where the watchdog guards it. */
	inProcess: boolean;
	tries: number;
	backoff: QueueConfig['backoff'];
	/** A finished job may fetch its successor in the same script: only on the first queue, so priority holds. */
	chains: boolean;
};

/** A job fetched and not yet started, with the lock token it was fetched with. */
export type Next = {job: Job; plan: Plan; token: string};

/** A job this worker is running: its run (deadline, ctx.signal) and where it came from. */
export class Active extends JobRun {
	/** Given back at the stop deadline: its outcome here no longer counts. */
	abandoned = false;

	constructor(
		readonly job: Job,
		readonly plan: Plan,
		readonly token: string,
	) {
		super(plan.timeoutSeconds);
	}

	get name(): string {
		return `${this.plan.queue}/${this.job.id}`;
	}
}

const defaults: QueueConfig = {timeout: 90, tries: 3, isolation: 'none', concurrency: 1};

/**
 * One BullMQ Worker per queue, in priority order, on the worker's connection.
 * They are never run (autorun off): the fetch loop drives them, and only
 * their stalled-job check runs on its own.
 */
export function createPlans(config: Config, options: PlanOptions, workerId: string, connection: Connection, log: Logger): Plan[] {
	return options.queues.map(queue => {
		const settings = config.queues[queue] ?? defaults;
		const {limiter} = settings;
		const worker = new BullWorker(queue, null, {
			connection: connection.client,
			prefix: connection.prefix,
			autorun: false,
			name: workerId,
			lockDuration: options.lockDurationMs,
			stalledInterval: options.stalledIntervalMs,
			maxStalledCount: 1,
			drainDelay: Math.max(1, Math.ceil(options.sleep)),
			...(limiter ? {limiter} : {}),
			// BullMQ's own per-minute completed/failed counts (Queue.getMetrics), for other BullMQ tools.
			...(config.metrics.enabled ? {metrics: {maxDataPoints: config.metrics.bullmqDataPoints}} : {}),
		});
		quietErrors(worker, queue, log);
		void worker.startStalledCheckTimer().catch(error => log.warn({queue, ...errorFields(error)}, 'stalled-job check failed'));
		return {
			queue,
			worker,
			timeoutSeconds: options.timeout ?? settings.timeout,
			isolation: settings.isolation,
			inProcess: settings.isolation === 'none',
			// Laravel's --tries applies to jobs that set no attempts of their own.
			tries: options.tries ?? settings.tries,
			backoff: settings.backoff,
			chains: queue === options.queues[0],
		};
	});
}

/** While Redis is down BullMQ reports every reconnect attempt: one line per 30 s is enough. */
function quietErrors(worker: BullWorker, queue: string, log: Logger): void {
	let lastError = 0;
	let quiet = 0;
	worker.on('error', error => {
		if (Date.now() - lastError < 30_000) {
			quiet++;
			return;
		}
		log.warn({queue, ...errorFields(error), ...(quiet > 0 ? {repeated: quiet} : {})}, 'BullMQ worker error');
		lastError = Date.now();
		quiet = 0;
	});
}
