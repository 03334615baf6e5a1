/**
 * Runs one fetched job to its end: the queue's tries and backoff for jobs that
 * set none, its processor (loaded once, data checked against its schema),
 * run in its isolation mode with its deadline and ctx.signal (run-job.ts),
 * then BullMQ's own moveToCompleted or moveToFailed, the job's log line and
 * the counters. `Timeouts` enforces the deadlines of all running jobs, and
 * the watchdog guards in-process jobs that block the event loop.
 */
import {UnrecoverableError, type Job} from 'bullmq';
import type {Config} from '../config.js';
import {redact} from '../common/redact.js';
import {handOver} from './bullmq-adapter.js';
import {errorFields, type Logger} from './logger.js';
import type {MetricsRecorder} from './metrics-recorder.js';
import {loadProcessor, validateData, type JobInfo, type LoadedProcessor} from './processors.js';
import {runJob} from './run-job.js';
import {JobTimeoutError} from './timeout.js';
import {startWatchdog, type Watchdog} from './watchdog.js';
import type {Active, Next, Plan} from './worker-plans.js';

/** Jobs finished for good, for the registry and the final log line. */
export type Counters = {processed: number; failed: number};

export type JobRunnerOptions = {
	/** Job name → processor module (the config's `processors`). */
	processors: Config['processors'];
	/** Put the job's data in its failure lines (`--log-data`). */
	logData?: boolean;
	/** Whether a finished job may fetch its successor now (not while stopping or paused). */
	mayChain(): boolean;
	/** Where finished attempts are counted (README, "Metrics"); none: not counted. */
	metrics?: MetricsRecorder;
};

export class JobRunner {
	/** Processors already imported, by module path: the hot path skips a promise per job. */
	readonly #loaded = new Map<string, LoadedProcessor>();

	constructor(
		readonly options: JobRunnerOptions,
		readonly counters: Counters,
		readonly log: Logger,
	) {}

	/**
	 * Runs one job to its end; resolves with the next job BullMQ handed over on
	 * completion, if any. Never rejects. The path of a job that completes is
	 * kept inline, without a promise it does not need: it runs thousands of
	 * times a second (bench/worker-throughput.js).
	 */
	async run(entry: Active): Promise<Next | undefined> {
		const {job, plan, token} = entry;
		// BullMQ's Job defaults `attempts` to 0, so "unset" is 0 as well as undefined.
		if (!job.opts.attempts) job.opts.attempts = plan.tries;
		if (job.opts.backoff === undefined && plan.backoff) job.opts.backoff = plan.backoff;
		// When the processor's outcome was known: a job's runtime ends there, as BullMQ's finishedOn does, not after
		// Redis has taken the outcome (a Redis slow to answer is not a slow job).
		let finished = 0;
		try {
			const module = this.options.processors[job.name];
			if (!module) throw new UnrecoverableError(`no processor for job "${job.name}": add it to "processors" in the config`);
			const processor = this.#loaded.get(module) ?? (await this.#load(job.name, module));
			if (processor.schema) await checkData(processor, job.data);
			const info: JobInfo = {id: String(job.id), name: job.name, queue: plan.queue, data: job.data, attemptsMade: job.attemptsMade, timestamp: job.timestamp, opts: job.opts as Record<string, unknown>};
			const result = await runJob(processor, plan.isolation, info, entry, job);
			finished = Date.now();
			if (entry.abandoned) return undefined;
			const chain = plan.chains && this.options.mayChain();
			const completed = await job.moveToCompleted(result ?? null, token, chain);
			this.counters.processed++;
			const now = Date.now();
			this.options.metrics?.record(plan.queue, job.name, 'completed', finished - entry.started, firstWaitMs(job), now);
			this.log.info({queue: plan.queue, jobId: job.id, jobName: job.name, attempt: job.attemptsMade, durationMs: finished - entry.started}, 'job completed');
			if (!chain || !Array.isArray(completed) || !completed[0]) return undefined;
			const next = await handOver(plan.worker, completed as unknown[], token);
			return next ? {job: next, plan, token} : undefined;
		} catch (error) {
			if (!entry.abandoned) await this.#fail(entry, error instanceof Error ? error : new Error(String(error)), (finished || Date.now()) - entry.started);
			return undefined;
		}
	}

	/** Imports a processor module (once: later jobs find it in #loaded). */
	async #load(jobName: string, module: string): Promise<LoadedProcessor> {
		const processor = await loadProcessor(jobName, module);
		this.#loaded.set(module, processor);
		return processor;
	}

	/** Records a failed attempt that ran for `runMs` (up to its outcome, before Redis was told). */
	async #fail(entry: Active, error: Error, runMs: number): Promise<void> {
		const {job, plan, token} = entry;
		const fields = {queue: plan.queue, jobId: job.id, jobName: job.name, attempt: job.attemptsMade + 1, ...(this.options.logData ? {data: dataForLog(job.data)} : {})};
		let recorded = true;
		try {
			await job.moveToFailed(error, token, false);
		} catch (moveError) {
			recorded = false;
			this.log.warn({...fields, ...errorFields(moveError)}, 'could not record the failure; BullMQ will retry the job when its lock expires');
		}
		const final = error instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
		if (final) this.counters.failed++;
		// Counted as Redis now holds it (failed for good, or retried); a failure Redis did not take is not counted.
		if (recorded) this.options.metrics?.record(plan.queue, job.name, final ? 'failed' : 'retried', runMs, firstWaitMs(job));
		const timedOut = error instanceof JobTimeoutError;
		this.log[timedOut ? 'warn' : 'error']({...fields, durationMs: runMs, ...errorFields(error), willRetry: !final}, timedOut ? 'job timed out' : 'job failed');
	}
}

/**
 * How long a job waited from when it became due (its timestamp plus its
 * delay) to its first start; undefined for a later attempt (a retry or a
 * stalled job), whose due time BullMQ does not keep.
 */
export function firstWaitMs(job: Job): number | undefined {
	if (job.attemptsStarted > 1 || !job.processedOn) return undefined;
	return Number(job.processedOn) - (Number(job.timestamp) + (Number(job.opts.delay) || 0));
}

/** Data its processor's schema rejects fails the job at once, without retries, naming the field. */
async function checkData(processor: LoadedProcessor, data: unknown): Promise<void> {
	const invalid = await validateData(processor, data);
	if (invalid) throw new UnrecoverableError(invalid);
}

/** A job's data for a log line, when asked: JSON text cut at 2 KB, with the secrets this process knows masked. */
export function dataForLog(data: unknown): string {
	let text: string;
	try {
		text = JSON.stringify(data) ?? 'null';
	} catch {
		text = '(data that is not JSON)';
	}
	const masked = redact(text);
	return masked.length > 2000 ? `${masked.slice(0, 1999)}…` : masked;
}

/** "Far past" a job's deadline, when the watchdog kills a blocked process: as long again as the timeout, at least 5 s. */
export const killAt = (entry: Active): number => entry.deadline + Math.max(5000, entry.deadline - entry.started);

/**
 * The deadlines of all running jobs, checked by one timer (a timer per job
 * cost the hot path), and the watchdog thread when a queue runs in-process.
 */
export class Timeouts {
	readonly #running: () => Active[];
	readonly #watchdog: Watchdog | undefined;
	readonly #timers: NodeJS.Timeout[] = [];

	constructor(running: () => Active[], plans: readonly Plan[], watchdog: () => Watchdog = startWatchdog) {
		this.#running = running;
		this.#watchdog = plans.some(plan => plan.inProcess) ? watchdog() : undefined;
		this.#every(50, () => this.expireOverdue());
		if (this.#watchdog) this.#every(250, () => this.#watch());
	}

	/** A job starts: one that blocks the loop at once must already be known to the watchdog. */
	started(entry: Active): void {
		if (this.#watchdog && entry.plan.inProcess) this.#watchdog.add(entry.name, killAt(entry));
	}

	/** Fails the runs past their deadline (their ctx.signal fires; the processor is left behind). */
	expireOverdue(now = Date.now()): void {
		for (const entry of this.#running()) if (entry.deadline <= now) entry.expire();
	}

	stop(): void {
		for (const timer of this.#timers) clearInterval(timer);
		this.#watchdog?.stop();
	}

	#watch(): void {
		const inProcess = this.#running().filter(entry => entry.plan.inProcess);
		this.#watchdog?.watch(inProcess.map(entry => entry.name), Math.max(0, ...inProcess.map(killAt)));
	}

	#every(ms: number, check: () => void): void {
		const timer = setInterval(check, ms);
		timer.unref();
		this.#timers.push(timer);
	}
}
