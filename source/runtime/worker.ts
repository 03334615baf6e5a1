/**
 * `saccos-queue worker`: Laravel's `queue:work` semantics on BullMQ.
 *
 * One fetch loop serves all the worker's queues in priority order: a free
 * slot always takes the first queue that has a job, so `--queue high,default`
 * finishes the waiting `high` jobs before taking `default`'s — which BullMQ,
 * with one Worker per queue, cannot promise. Jobs are fetched with BullMQ's
 * own moveToActive (through Worker.getNextJob) and finished with its own
 * moveToCompleted/moveToFailed, so locks, retries, backoff, rate limits,
 * events and stalled-job recovery are BullMQ's, unchanged.
 *
 * This file composes the parts, each with its own tests: the fetch loop
 * (fetch-loop.ts), the job runner and its timeouts (job-runner.ts), the lock
 * renewer (lock-renewer.ts) and the shutdown sequence (shutdown.ts); what they
 * share is in worker-plans.ts, and the only BullMQ internals used are in
 * bullmq-adapter.ts.
 */
import os from 'node:os';
import type {Config} from '../config.js';
import {connect, toUserError, type Connection} from '../data/connection.js';
import {queueKey, registryKey} from '../data/keys.js';
import type {ControlCommand, ProcessState} from '../data/workers.js';
import {isTransientRedisFault, waitingMessage} from '../errors.js';
import {atMost} from '../util/bounded.js';
import {assertBullmqInternals} from './bullmq-adapter.js';
import {FetchLoop, pause} from './fetch-loop.js';
import {JobRunner, Timeouts, type Counters} from './job-runner.js';
import {LockRenewer} from './lock-renewer.js';
import {errorFields, type Logger} from './logger.js';
import {MetricsRecorder} from './metrics-recorder.js';
import {listenForControl, newProcessId, startHeartbeat, systemdUnit, VERSION, type Heartbeat} from './registry.js';
import {setRunnerPoolSize} from './run-job.js';
import {closeWithin, Shutdown} from './shutdown.js';
import {createPlans} from './worker-plans.js';

export type WorkerOptions = {
	/** Queue names in priority order. */
	queues: string[];
	tries?: number;
	/** Seconds; overrides every queue's configured timeout. */
	timeout?: number;
	/** Seconds to wait for a job when every queue is empty. */
	sleep: number;
	/** Seconds before the worker finishes its jobs and exits 0 (0 = never). */
	maxTime: number;
	/** MB of RSS above which the worker finishes its jobs and exits 0. */
	memory?: number;
	concurrency: number;
	maxJobs?: number;
	/** How long SIGTERM waits for active jobs before giving up on them (ms). */
	stopTimeoutMs: number;
	lockDurationMs: number;
	stalledIntervalMs: number;
	/** Put the job's data in its failure lines (`--log-data`); off by default: data may be personal. */
	logData?: boolean;
};

/** Runs the worker until it is told to stop; resolves with the process exit code. */
export async function runWorker(config: Config, options: WorkerOptions, logger: Logger): Promise<number> {
	assertBullmqInternals();
	const id = newProcessId('worker');
	const log = logger.child({workerId: id});
	const shutdown = new Shutdown(options, log);
	shutdown.listen();
	const connection = await connectPatiently(config, options.queues, log, shutdown.signal);
	if (!connection) return 0;
	const plans = createPlans(config, options, id, connection, log);
	const counters: Counters = {processed: 0, failed: 0};
	const metrics = startMetrics(config, connection, log);
	const runner = new JobRunner({processors: config.processors, logData: options.logData, mayChain: () => !shutdown.stopping && !loop.paused, metrics}, counters, log);
	const loop: FetchLoop = new FetchLoop({
		plans,
		concurrency: options.concurrency,
		workerId: id,
		stopping: shutdown.signal,
		log,
		run: entry => runner.run(entry),
		started: entry => timeouts.started(entry),
		ended: () => shutdown.jobEnded(counters.processed + counters.failed),
	});
	const started = Date.now();
	let running = false;
	const describe = () => describeWorker(id, options, started, counters, loop, stateOf(running, shutdown.stopping, loop.paused));
	const registry = await joinRegistry(connection, describe, command => {
		if (command === 'stop') shutdown.stop('remote stop');
		else if (command === 'pause') loop.pause();
		else if (command === 'resume') loop.resume();
	}, log);
	await emit(connection, options.queues, 'worker.started', id);
	const timeouts = new Timeouts(() => loop.running(), plans);
	const locks = new LockRenewer(() => loop.running(), {durationMs: options.lockDurationMs}, log);
	locks.start();
	shutdown.startClock();
	running = true;
	void registry.heartbeat.beat();
	log.info({queues: options.queues, concurrency: options.concurrency, version: VERSION}, 'worker started');
	setRunnerPoolSize(options.concurrency);
	void loop.start();
	await shutdown.untilStopped();
	await shutdown.drain(() => loop.running());
	locks.close();
	timeouts.stop();
	shutdown.release();
	await closeWithin(2000, [
		// What the last jobs counted is sent before anything else closes.
		async () => metrics?.close(1000),
		async () => emit(connection, options.queues, 'worker.stopped', id).catch(() => undefined),
		async () => registry.heartbeat.stop(),
		async () => Promise.all(plans.map(async ({worker}) => worker.close(true).catch(() => undefined))),
		() => registry.subscriber.disconnect(),
		async () => connection.close(),
	]);
	log.info({reason: shutdown.reason, processed: counters.processed, failed: counters.failed}, 'worker stopped');
	return shutdown.exitCode;
}

/** The worker's heartbeat record; read at every beat, so counters stay current. */
function describeWorker(id: string, options: WorkerOptions, started: number, counters: Counters, loop: FetchLoop, state: ProcessState) {
	return {
		id,
		kind: 'worker' as const,
		host: os.hostname(),
		pid: process.pid,
		queues: options.queues,
		concurrency: options.concurrency,
		started,
		version: VERSION,
		processed: counters.processed,
		failed: counters.failed,
		current: loop.running().map(entry => entry.name),
		unit: systemdUnit(),
		state,
	};
}

/** The state the registry shows. */
const stateOf = (running: boolean, stopping: boolean, paused: boolean): ProcessState => (stopping ? 'stopping' : paused ? 'paused' : running ? 'running' : 'starting');

/**
 * Connects and records the queues served, retrying while Redis is down,
 * stalled, out of memory or a replica (systemd starts us before Redis at boot;
 * an operator frees memory): each kind of fault is logged once, with Redis's
 * own words, and the worker starts as soon as it passes.
 */
async function connectPatiently(config: Config, queues: string[], logger: Logger, signal: AbortSignal): Promise<Connection | undefined> {
	let delay = 500;
	const warned = new Set<string>();
	while (!signal.aborted) {
		let connection: Connection | undefined;
		try {
			connection = await connect(config, 'worker');
			await connection.client.sadd(registryKey(connection.prefix), ...queues).catch((error: unknown) => {
				throw toUserError(error, connection!.where);
			});
			return connection;
		} catch (error) {
			await connection?.close();
			if (!isTransientRedisFault(error)) throw error;
			if (!warned.has(error.code)) logger.warn(errorFields(error), waitingMessage(error));
			warned.add(error.code);
			await pause(delay, signal);
			delay = Math.min(delay * 2, 10_000);
		}
	}
	return undefined;
}

type Registered = {heartbeat: Heartbeat; subscriber: Connection['client']};

/** The job metrics recorder (README, "Metrics"), flushing on its timer; none when the config turns metrics off. */
function startMetrics(config: Config, connection: Connection, log: Logger): MetricsRecorder | undefined {
	const {enabled, minuteRetentionMs, hourRetentionMs, flushEveryMs, maxNames} = config.metrics;
	if (!enabled) return undefined;
	const recorder = new MetricsRecorder(connection.client, connection.prefix, {minuteRetentionMs, hourRetentionMs, flushEveryMs, maxNames, maxPendingMinutes: 60}, log);
	recorder.start();
	return recorder;
}

/** The heartbeat record (`workers` lists it) and the control channel (`workers pause|resume|stop`). */
async function joinRegistry(connection: Connection, describe: Parameters<typeof startHeartbeat>[2], onCommand: (command: ControlCommand) => void, log: Logger): Promise<Registered> {
	const {client, prefix} = connection;
	const subscriber = client.duplicate();
	subscriber.on('error', () => {});
	const heartbeat = startHeartbeat(client, prefix, describe, log);
	await listenForControl(subscriber, prefix, describe, command => {
		log.info({command}, 'remote control');
		onCommand(command);
		void heartbeat.beat();
	}, log).catch(error => log.warn(errorFields(error), 'control channel unavailable; remote control disabled'));
	return {heartbeat, subscriber};
}

/** Worker lifecycle events go into each queue's BullMQ event stream, so `events` shows them. */
async function emit(connection: Connection, queues: string[], event: string, workerId: string): Promise<void> {
	const pipeline = connection.client.pipeline();
	for (const queue of queues) pipeline.xadd(queueKey(connection.prefix, queue, 'events'), 'MAXLEN', '~', 10_000, '*', 'event', event, 'workerId', workerId, 'host', os.hostname());
	await atMost(pipeline.exec(), 1000);
}

