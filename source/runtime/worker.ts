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
 */
import {UnrecoverableError, Worker as BullWorker, type Job} from 'bullmq';
import {setMaxListeners} from 'node:events';
import os from 'node:os';
import type {Config, QueueConfig} from '../config.js';
import {connect, toUserError, type Connection} from '../data/connection.js';
import {queueKey, registryKey} from '../data/keys.js';
import {redact} from '../shared/redact.js';
import {isTransientRedisFault} from '../errors.js';
import {errorFields, type Logger} from './logger.js';
import {loadProcessor, validateData, type JobInfo, type LoadedProcessor} from './processors.js';
import {listenForControl, newProcessId, startHeartbeat, systemdUnit, VERSION} from './registry.js';
import {JobRun, runJob, setRunnerPoolSize} from './run-job.js';
import {JobTimeoutError} from './timeout.js';
import {startWatchdog, type Watchdog} from './watchdog.js';
import {whenSupervisorGone} from './supervised.js';
import type {ProcessState} from '../data/workers.js';
import {atMost} from '../util/bounded.js';

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

/** How the worker runs one queue's jobs: its settings, resolved once at start. */
type Plan = {
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

/** A job this worker is running: its run (deadline, ctx.signal) and where it came from. */
class Active extends JobRun {
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

/** Waits `ms`, or less if the signal aborts (and leaves no listener behind). */
const pause = async (ms: number, signal?: AbortSignal): Promise<void> =>
	new Promise(resolve => {
		const done = () => {
			clearTimeout(timer);
			signal?.removeEventListener('abort', done);
			resolve();
		};
		const timer = setTimeout(done, ms);
		signal?.addEventListener('abort', done, {once: true});
	});

/** Resolves with the promise's value, or undefined as soon as the signal aborts. */
async function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
	if (signal.aborted) return undefined;
	let onAbort = () => {};
	const aborted = new Promise<undefined>(resolve => {
		onAbort = () => resolve(undefined);
		signal.addEventListener('abort', onAbort, {once: true});
	});
	try {
		return await Promise.race([promise, aborted]);
	} finally {
		signal.removeEventListener('abort', onAbort);
	}
}

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
			if (!warned.has(error.code)) logger.warn(errorFields(error), `${error.message}; retrying until it passes`);
			warned.add(error.code);
			await pause(delay, signal);
			delay = Math.min(delay * 2, 10_000);
		}
	}
	return undefined;
}

/** Runs the worker until it is told to stop; resolves with the process exit code. */
export async function runWorker(config: Config, options: WorkerOptions, logger: Logger): Promise<number> {
	const id = newProcessId('worker');
	const log = logger.child({workerId: id});
	const stopping = new AbortController();
	// Every slot waits on it (untilAborted): 50 slots are not a leak.
	setMaxListeners(0, stopping.signal);
	let state: ProcessState = 'starting';
	let stopReason = '';
	let exitCode = 0;
	let processed = 0;
	let failed = 0;
	/** The job each fetch slot is running (a slot runs one at a time). */
	const slots: Array<Active | undefined> = Array.from({length: options.concurrency}, () => undefined);
	const running = (): Active[] => slots.filter((entry): entry is Active => entry !== undefined);
	const started = Date.now();
	let wake: () => void = () => {};

	const stop = (reason: string, code = 0) => {
		if (stopping.signal.aborted) return;
		stopReason = reason;
		exitCode = code;
		state = 'stopping';
		log.info({reason}, 'stopping: finishing active jobs, taking no new ones');
		stopping.abort();
		wake();
	};
	// Idle slots wait for a wake-up; one of them (the blocker) waits in
	// BullMQ's blocking fetch on the first queue, for at most --sleep.
	let blocker = false;
	let sleepers: Array<() => void> = [];
	const wakeSleepers = () => {
		const waiting = sleepers;
		sleepers = [];
		for (const resolve of waiting) resolve();
	};
	const asleep = async () => new Promise<void>(resolve => sleepers.push(resolve));
	stopping.signal.addEventListener('abort', wakeSleepers, {once: true});

	const onSignal = (signal: NodeJS.Signals) => stop(signal);
	process.on('SIGTERM', onSignal);
	process.on('SIGINT', onSignal);
	const unwatch = whenSupervisorGone(() => stop('the supervisor is gone'));
	stopping.signal.addEventListener('abort', unwatch, {once: true});

	const connection = await connectPatiently(config, options.queues, log, stopping.signal);
	if (!connection) return 0;
	const {client, prefix} = connection;

	const settings = (queue: string): QueueConfig => config.queues[queue] ?? {timeout: 90, tries: 3, isolation: 'none', concurrency: 1};
	const plans = new Map<string, Plan>();
	for (const queue of options.queues) {
		const queueSettings = settings(queue);
		const {limiter} = queueSettings;
		const worker = new BullWorker(queue, null, {
			connection: client,
			prefix,
			autorun: false,
			name: id,
			lockDuration: options.lockDurationMs,
			stalledInterval: options.stalledIntervalMs,
			maxStalledCount: 1,
			drainDelay: Math.max(1, Math.ceil(options.sleep)),
			...(limiter ? {limiter} : {}),
		});
		// While Redis is down BullMQ reports every reconnect attempt: one line per 30 s is enough.
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
		plans.set(queue, {
			queue,
			worker,
			timeoutSeconds: options.timeout ?? queueSettings.timeout,
			isolation: queueSettings.isolation,
			inProcess: queueSettings.isolation === 'none',
			// Laravel's --tries applies to jobs that set no attempts of their own.
			tries: options.tries ?? queueSettings.tries,
			backoff: queueSettings.backoff,
			chains: queue === options.queues[0],
		});
		void worker.startStalledCheckTimer().catch(error => log.warn({queue, ...errorFields(error)}, 'stalled-job check failed'));
	}

	// Remote control and the registry.
	const subscriber = client.duplicate();
	subscriber.on('error', () => {});
	let paused = false;
	const describe = () => ({
		id,
		kind: 'worker' as const,
		host: os.hostname(),
		pid: process.pid,
		queues: options.queues,
		concurrency: options.concurrency,
		started,
		version: VERSION,
		processed,
		failed,
		current: running().map(entry => entry.name),
		unit: systemdUnit(),
		state,
	});
	const heartbeat = startHeartbeat(client, prefix, describe, log);
	await listenForControl(subscriber, prefix, describe, command => {
		log.info({command}, 'remote control');
		if (command === 'stop') stop('remote stop');
		else if (command === 'pause' && !stopping.signal.aborted) {
			paused = true;
			state = 'paused';
		} else if (command === 'resume' && !stopping.signal.aborted) {
			paused = false;
			state = 'running';
			wakeSleepers();
		}
		void heartbeat.beat();
	}, log).catch(error => log.warn(errorFields(error), 'control channel unavailable; remote control disabled'));
	await emit(connection, options.queues, 'worker.started', id);

	const watchdog: Watchdog | undefined = [...plans.values()].some(plan => plan.inProcess) ? startWatchdog() : undefined;
	/** "Far past" the deadline: as long again as the timeout, at least 5 s. */
	const killAt = (entry: Active) => entry.deadline + Math.max(5000, entry.deadline - entry.started);
	const updateWatchdog = () => {
		const inProcess = running().filter(entry => entry.plan.inProcess);
		watchdog?.watch(inProcess.map(entry => entry.name), Math.max(0, ...inProcess.map(killAt)));
	};

	// Timeouts: one timer checks every running job's deadline.
	const deadlines = setInterval(() => {
		const now = Date.now();
		for (const entry of slots) if (entry && entry.deadline <= now) entry.expire();
	}, 50);
	deadlines.unref();

	// Lock renewal for running jobs (the manual-fetch path does not renew them).
	const renew = setInterval(() => {
		for (const entry of running()) {
			void entry.job.extendLock(entry.token, options.lockDurationMs).catch(error => log.warn({queue: entry.plan.queue, jobId: entry.job.id, ...errorFields(error)}, 'lock renewal failed'));
		}
	}, Math.max(500, Math.floor(options.lockDurationMs / 2)));
	renew.unref();

	const maxTimer = options.maxTime > 0 ? setTimeout(() => stop(`max-time ${options.maxTime}s reached`), options.maxTime * 1000) : undefined;
	maxTimer?.unref();
	state = 'running';
	void heartbeat.beat();
	log.info({queues: options.queues, concurrency: options.concurrency, version: VERSION}, 'worker started');

	type Next = {job: Job; plan: Plan; token: string};
	let tokens = 0;
	const newToken = () => `${id}:${++tokens}`;
	const top = plans.get(options.queues[0]!)!;
	const rssLimited = options.memory !== undefined;
	setRunnerPoolSize(options.concurrency);
	/** Processors already imported, by module path: the hot path skips a promise per job. */
	const loaded = new Map<string, LoadedProcessor>();

	/** Runs one job to its end; resolves with the next job BullMQ handed over on completion, if any. */
	const processOne = async (entry: Active, slot: number): Promise<Next | undefined> => {
		const {job, plan, token} = entry;
		const {queue} = plan;
		// BullMQ's Job defaults `attempts` to 0, so "unset" is 0 as well as undefined.
		if (!job.opts.attempts) job.opts.attempts = plan.tries;
		if (job.opts.backoff === undefined && plan.backoff) job.opts.backoff = plan.backoff;
		let next: Next | undefined;
		try {
			const module = config.processors[job.name];
			if (!module) throw new UnrecoverableError(`no processor for job "${job.name}": add it to "processors" in the config`);
			let processor = loaded.get(module);
			if (!processor) {
				processor = await loadProcessor(job.name, module);
				loaded.set(module, processor);
			}
			if (processor.schema) {
				const invalid = await validateData(processor, job.data);
				if (invalid) throw new UnrecoverableError(invalid);
			}
			const info: JobInfo = {id: String(job.id), name: job.name, queue, data: job.data, attemptsMade: job.attemptsMade, timestamp: job.timestamp, opts: job.opts as Record<string, unknown>};
			const result = await runJob(processor, plan.isolation, info, entry, job);
			if (entry.abandoned) return undefined;
			const chain = plan.chains && !stopping.signal.aborted && !paused;
			const completed = await job.moveToCompleted(result ?? null, token, chain);
			processed++;
			log.info({queue, jobId: job.id, jobName: job.name, attempt: job.attemptsMade, durationMs: Date.now() - entry.started}, 'job completed');
			if (chain && Array.isArray(completed) && completed[0]) next = await handOver(plan, completed as unknown[], token);
		} catch (error) {
			if (entry.abandoned) return undefined;
			const err = error instanceof Error ? error : new Error(String(error));
			const fields = {queue, jobId: job.id, jobName: job.name, attempt: job.attemptsMade + 1, ...(options.logData ? {data: dataForLog(job.data)} : {})};
			try {
				await job.moveToFailed(err, token, false);
			} catch (moveError) {
				log.warn({...fields, ...errorFields(moveError)}, 'could not record the failure; BullMQ will retry the job when its lock expires');
			}
			const final = err instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
			if (final) failed++;
			log[err instanceof JobTimeoutError ? 'warn' : 'error']({...fields, durationMs: Date.now() - entry.started, ...errorFields(err), willRetry: !final}, err instanceof JobTimeoutError ? 'job timed out' : 'job failed');
		} finally {
			slots[slot] = undefined;
			if (options.maxJobs && processed + failed >= options.maxJobs) stop(`max-jobs ${options.maxJobs} reached`);
			if (rssLimited) {
				const rssMb = process.memoryUsage.rss() / 1024 / 1024;
				if (rssMb > options.memory!) stop(`memory ${Math.round(rssMb)} MB over the ${options.memory} MB limit`);
			}
			wake();
		}
		return next;
	};

	/** The job BullMQ's completion script fetched, turned into a Job the way BullMQ's own Worker does. */
	const handOver = async (plan: Plan, reply: unknown[], token: string): Promise<Next | undefined> => {
		const worker = plan.worker as unknown as {
			updateDelays(rateLimitDelay: number, delayUntil: number): void;
			nextJobFromJobData(data: unknown, id: unknown, token: string): Promise<Job | undefined>;
		};
		worker.updateDelays(Number(reply[2] ?? 0), Number(reply[3] ?? 0));
		const job = await worker.nextJobFromJobData(reply[0], reply[1], token);
		return job ? {job, plan, token} : undefined;
	};

	/** One non-blocking pass over the queues in priority order. */
	const fetchAny = async (): Promise<Next | undefined> => {
		for (const plan of plans.values()) {
			const token = newToken();
			const job = await plan.worker.getNextJob(token, {block: false});
			if (job) return {job, plan, token};
		}
		return undefined;
	};


	const giveBack = (next: Next | undefined) => {
		if (next) void next.job.moveToWait(next.token).catch(() => undefined);
	};

	const findWork = async (): Promise<Next | undefined> => {
		const fetching = fetchAny();
		// A fetch waits for ever while Redis is down (BullMQ's connections
		// retry): a stop must not wait for it.
		let next = await untilAborted(fetching, stopping.signal);
		if (stopping.signal.aborted) {
			void fetching.then(giveBack).catch(() => undefined);
			giveBack(next);
			return undefined;
		}
		if (next) return next;
		if (blocker) {
			await asleep();
			return undefined;
		}
		blocker = true;
		try {
			const started = Date.now();
			const token = newToken();
			const blocking = top.worker.getNextJob(token, {block: true});
			const job = await untilAborted(blocking, stopping.signal);
			if (stopping.signal.aborted) {
				void blocking.then(late => giveBack(late ? {job: late, plan: top, token} : undefined)).catch(() => undefined);
				giveBack(job ? {job, plan: top, token} : undefined);
				return undefined;
			}
			if (job) next = {job, plan: top, token};
			// BullMQ returns at once while a queue is rate-limited: don't spin.
			else if (Date.now() - started < 100) await pause(200, stopping.signal);
		} finally {
			blocker = false;
			wakeSleepers();
		}
		return next;
	};

	let errorDelay = 0;
	const slot = async (index: number): Promise<void> => {
		while (!stopping.signal.aborted) {
			if (paused) {
				await asleep();
				continue;
			}
			let next: Next | undefined;
			try {
				next = await findWork();
				errorDelay = 0;
			} catch (error) {
				errorDelay = Math.min(Math.max(errorDelay * 2, 250), 5000);
				log.warn({...errorFields(error), retryInMs: errorDelay}, 'fetching jobs failed');
				await pause(errorDelay, stopping.signal);
				continue;
			}
			while (next) {
				if (stopping.signal.aborted || paused) {
					// Fetched just as we stopped or paused: give it back rather than let it stall.
					giveBack(next);
					break;
				}
				const entry = new Active(next.job, next.plan, next.token);
				slots[index] = entry;
				// A processor that blocks the loop at once must already be known to the watchdog.
				if (watchdog && next.plan.inProcess) watchdog.add(entry.name, killAt(entry));
				next = await processOne(entry, index);
			}
		}
	};
	for (let index = 0; index < options.concurrency; index++) void slot(index);
	const watchdogTimer = watchdog ? setInterval(updateWatchdog, 250) : undefined;
	watchdogTimer?.unref();
	await new Promise<void>(resolve => {
		if (stopping.signal.aborted) resolve();
		else stopping.signal.addEventListener('abort', () => resolve(), {once: true});
	});

	// Shutdown: wait for active jobs up to the deadline, then give up on them
	// (BullMQ's stalled check hands them to another worker).
	const deadline = Date.now() + options.stopTimeoutMs;
	while (running().length > 0 && Date.now() < deadline) {
		await new Promise<void>(resolve => {
			wake = resolve;
			setTimeout(resolve, Math.max(0, deadline - Date.now())).unref();
		});
	}
	const left = running();
	if (left.length > 0) {
		// Give the jobs back to the queue (no attempt counted) so another worker
		// takes them now; if Redis cannot be told, BullMQ's stalled check will.
		for (const entry of left) entry.abandoned = true;
		log.warn({jobIds: left.map(entry => entry.name)}, 'stop deadline passed; returning active jobs to the queue (else the stalled-job check recovers them)');
		await atMost(Promise.all(left.map(async entry => entry.job.moveToWait(entry.token).catch(() => undefined))), 2000);
		for (const entry of left) entry.abort(new Error('worker shutting down'));
	}
	clearInterval(renew);
	clearInterval(deadlines);
	if (watchdogTimer) clearInterval(watchdogTimer);
	if (maxTimer) clearTimeout(maxTimer);
	watchdog?.stop();
	process.off('SIGTERM', onSignal);
	process.off('SIGINT', onSignal);
	// BullMQ's close() has no timeout of its own (taskforcesh/bullmq#2430).
	await atMost((async () => {
		await emit(connection, options.queues, 'worker.stopped', id).catch(() => undefined);
		await heartbeat.stop();
		await Promise.all([...plans.values()].map(async ({worker}) => worker.close(true).catch(() => undefined)));
		subscriber.disconnect();
		await connection.close();
	})(), 2000);
	log.info({reason: stopReason, processed, failed}, 'worker stopped');
	return exitCode;
}

/** A job's data for a log line, when asked: JSON text cut at 2 KB, with the secrets this process knows masked. */
function dataForLog(data: unknown): string {
	let text: string;
	try {
		text = JSON.stringify(data) ?? 'null';
	} catch {
		text = '(data that is not JSON)';
	}
	const masked = redact(text);
	return masked.length > 2000 ? `${masked.slice(0, 1999)}…` : masked;
}

/** Worker lifecycle events go into each queue's BullMQ event stream, so `events` shows them. */
async function emit(connection: Connection, queues: string[], event: string, workerId: string): Promise<void> {
	const pipeline = connection.client.pipeline();
	for (const queue of queues) pipeline.xadd(queueKey(connection.prefix, queue, 'events'), 'MAXLEN', '~', 10_000, '*', 'event', event, 'workerId', workerId, 'host', os.hostname());
	await atMost(pipeline.exec(), 1000);
}
