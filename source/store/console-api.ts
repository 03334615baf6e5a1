/**
 * Everything the console does, as calls that return plain data (docs/ARCHITECTURE.md,
 * "A refresh, end to end"): the views get this object and never see Redis, BullMQ or child
 * processes. Writes are refused in read-only mode (in this layer, not only
 * hidden in the keymap) and every write, allowed or refused, is audited, as
 * the CLI's are.
 */
import {MinuteSeriesReader, readQueueMetrics} from '../data/metrics.js';
import type {Config} from '../config.js';
import type {ActionResult, Progress} from '../data/actions.js';
import type {WriteAccess} from '../data/access.js';
import type {Connection} from '../data/connection.js';
import {guardedWrite, type WriteBlock} from '../data/guarded-write.js';
import {followEvents, type QueueEvent, type RecentEvents} from '../data/events.js';
import {getJob, getJobPage, ROW_FIELD_BYTES} from '../data/jobs.js';
import {searchJobs} from '../data/search.js';
import {knownQueues} from '../data/queues.js';
import {listSchedules, type ScheduleStatus} from '../data/schedules.js';
import {takeSnapshot} from '../data/snapshot.js';
import type {JobDetail, JobPage, MinuteSeries, QueueMetrics, SearchProgress, SearchResult, Snapshot} from '../common/types.js';
import {listWorkers, sendControl, type ControlCommand, type ForeignWorker, type RegisteredProcess} from '../data/workers.js';
import {UserError} from '../errors.js';
import type {ProcessController} from '../process/controller.js';
import {jobLogWindow, type LogLine} from '../process/logs.js';
import {pagerCommand, runPager} from '../process/pager.js';
import type {ServiceStatus} from '../process/services.js';
import {writeJobFile} from './job-file.js';

export type ServiceAction = 'start' | 'stop' | 'restart';

/**
 * Hands the terminal to another program: the console stops reading keys and
 * drawing, `run` runs, then the console is drawn again. `signal` aborts when
 * the console is being stopped (SIGTERM) while `run` holds the terminal.
 */
export type Suspend = <T>(run: (signal: AbortSignal) => Promise<T>) => Promise<T>;

export type ConsoleApi = {
	readOnly: boolean;
	/** Why writes are off: "--read-only", or Redis's words for an ACL user or a replica. */
	readOnlyReason?: string;
	/** Where we are connected; never contains a password. */
	where: string;
	/** The environment's name (config `name`), and the key prefix: two environments on one Redis must not look alike. */
	environment?: string;
	prefix: string;
	timezone: string;
	/** How often the views poll (--refresh, default 2 s). */
	refreshMs: number;
	snapshot(): Promise<Snapshot>;
	/** The known queues (cached 30 s): the `:` command line completes them. */
	queueNames(): Promise<string[]>;
	/** Jobs finished per minute over the last `minutes`, per queue (the queues view's sparklines): one round trip, never a job read. */
	minuteSeries(queues: readonly string[], minutes: number): Promise<MinuteSeries[]>;
	/** A queue's metrics over the last `sinceMs`, per job name, and its per-minute series. */
	queueMetrics(queue: string, sinceMs: number): Promise<{metrics: QueueMetrics | undefined; series: MinuteSeries}>;
	/** A page of jobs, each large field read only as far as a row shows it. */
	jobs(queue: string, state: string, limit: number, offset: number): Promise<JobPage>;
	/**
	 * The jobs of a whole state holding `text` (id, name, failed reason, data; any case), newest
	 * first, up to `limits.searchMaxScanned` jobs, in bounded pages: `onProgress` after each,
	 * stopped between two by `signal` (the result then says so).
	 */
	searchJobs(queue: string, state: string, text: string, onProgress: (progress: SearchProgress) => void, signal: AbortSignal): Promise<SearchResult>;
	/** One job, each large field read up to `limits.jobPreviewBytes`. */
	job(queue: string, id: string): Promise<JobDetail>;
	/** The pager `pageJob` opens ($PAGER, else less). */
	pager: string;
	/** Writes the whole job to a private temporary file, opens it in the pager with the terminal handed over, and removes the file. */
	pageJob(queue: string, id: string, suspend: Suspend): Promise<{bytes: number}>;
	retry(queue: string, ids: readonly string[]): Promise<ActionResult>;
	/** `onProgress` after each bounded batch. */
	retryAll(queue: string, onProgress?: (progress: Progress) => void): Promise<ActionResult>;
	remove(queue: string, ids: readonly string[]): Promise<ActionResult>;
	flushFailed(queue: string, onProgress?: (progress: Progress) => void): Promise<ActionResult>;
	setPaused(queue: string, paused: boolean): Promise<ActionResult>;
	workers(): Promise<{processes: RegisteredProcess[]; foreign: ForeignWorker[]}>;
	controlWorker(command: ControlCommand, id: string): Promise<ActionResult>;
	schedules(): Promise<ScheduleStatus[]>;
	runSchedule(id: string): Promise<ActionResult>;
	/** Rejects when no process backend can be opened (no systemd and no local supervisor). */
	services(): Promise<ServiceStatus[]>;
	serviceAction(action: ServiceAction, name: string): Promise<ActionResult>;
	/** Lines of a service (or "all"), oldest first; with follow, until the signal aborts. */
	logs(name: string, options: {lines?: number; follow?: boolean; signal?: AbortSignal}, onLine: (line: LogLine) => void): Promise<void>;
	/** The worker lines around one job (as `logs --job`). */
	jobLogs(queue: string, id: string, onLine: (line: LogLine) => void, signal?: AbortSignal): Promise<void>;
	/**
	 * Live events of every known queue (BullMQ's, and our workers' and scheduler's) until `signal` aborts; one blocking connection of its own.
	 * With `recent`, the latest events already in the streams come first (up to `perQueue` of each, the newest `total` of them, oldest first).
	 */
	events(onEvent: (event: QueueEvent) => void, signal: AbortSignal, onReady?: () => void, options?: {recent?: RecentEvents}): Promise<void>;
};

export type ConsoleDeps = {
	connection: Connection;
	config: Config;
	/** Opened lazily: the first call of services/logs pays for it. */
	openController: () => Promise<ProcessController>;
	/** What Redis said when asked whether this connection may write (data/access.ts). */
	access?: WriteAccess;
	/** --refresh (default 2 s). */
	refreshMs?: number;
};

type Write = <T extends ActionResult>(action: string, queue: string | null, work: () => Promise<T>) => Promise<T>;
type Parts = {connection: Connection; config: Config; known: () => Promise<string[]>; processes: () => Promise<ProcessController>; write: Write};

/** The known queues, re-read every 30 s (one SMEMBERS; never a keyspace scan). */
function knownQueuesCache(connection: Connection, config: Config): () => Promise<string[]> {
	let queues: string[] | undefined;
	let queuesAt = 0;
	return async () => {
		if (!queues || Date.now() - queuesAt > 30_000) {
			queues = await knownQueues(connection, config);
			queuesAt = Date.now();
		}
		return queues;
	};
}

/** What the queues, jobs, job and metrics views read. */
function readParts({connection, config, known}: Parts) {
	const series = new MinuteSeriesReader(connection);
	return {
		snapshot: async () => takeSnapshot(connection, config, await known()),
		queueNames: async () => [...(await known())],
		minuteSeries: async (queues: readonly string[], minutes: number) => series.read(queues, minutes),
		queueMetrics: async (queue: string, sinceMs: number) => {
			// The chart's minutes through the queues view's reader: after the first poll, only the open minutes.
			const [read, [chart]] = await Promise.all([readQueueMetrics(connection, [queue], {sinceMs, byName: true, histograms: true}), series.read([queue], 60)]);
			return {metrics: read.queues[0], series: chart!};
		},
		jobs: async (queue: string, state: string, limit: number, offset: number) => getJobPage(connection, queue, state, limit, offset, ROW_FIELD_BYTES),
		searchJobs: async (queue: string, state: string, text: string, onProgress: (progress: SearchProgress) => void, signal: AbortSignal) =>
			searchJobs(connection, queue, state, text, {maxScanned: config.limits.searchMaxScanned, onProgress, signal}),
		job: async (queue: string, id: string) => getJob(connection, queue, id, {fieldBytes: config.limits.jobPreviewBytes}),
		workers: async () => listWorkers(connection, await known()),
		schedules: async () => listSchedules(connection, config),
	} satisfies Partial<ConsoleApi>;
}

/** The write actions load BullMQ (some 20 MB): only once the console first writes, never for browsing. */
const actions = async () => import('../data/actions.js');

/** Every write, through the one guarded path (refused in read-only mode, audited). */
function writeParts({connection, config, processes, write}: Parts) {
	return {
		retry: async (queue: string, ids: readonly string[]) => write('retry', queue, async () => (await actions()).retryJobs(connection, queue, ids)),
		retryAll: async (queue: string, onProgress?: (progress: Progress) => void) => write('retry-all', queue, async () => (await actions()).retryAllFailed(connection, queue, onProgress ? {onProgress} : {})),
		remove: async (queue: string, ids: readonly string[]) => write('delete', queue, async () => (await actions()).removeJobs(connection, queue, ids)),
		flushFailed: async (queue: string, onProgress?: (progress: Progress) => void) => write('flush', queue, async () => (await actions()).cleanJobs(connection, queue, 'failed', 0, onProgress ? {onProgress} : {})),
		setPaused: async (queue: string, paused: boolean) => write(paused ? 'pause' : 'resume', queue, async () => (await actions()).setPaused(connection, queue, paused)),
		controlWorker: async (command: ControlCommand, id: string) =>
			write(`workers-${command}`, null, async () => {
				const reached = await sendControl(connection, command, id);
				return {queue: null, action: `workers-${command}`, count: reached.length, dryRun: false};
			}),
		runSchedule: async (id: string) => {
			const schedule = config.schedules.find(candidate => candidate.id === id);
			if (!schedule) throw new UserError('usage', `unknown schedule "${id}"`, 'the schedules come from the config');
			return write('schedule-run', schedule.queue, async () => ({...(await (await actions()).dispatchJob(connection, schedule.queue, {name: schedule.name, data: schedule.data ?? {}})), action: 'schedule-run', schedule: id}));
		},
		serviceAction: async (action: ServiceAction, name: string) =>
			write(`services-${action}`, null, async () => {
				const statuses = await (await processes())[action](name);
				return {queue: null, action: `services-${action}`, count: statuses.length, dryRun: false, services: statuses.map(status => `${status.name}: ${status.state}`)};
			}),
	} satisfies Partial<ConsoleApi>;
}

/** Services, their logs, live events and the pager: what runs beside Redis. */
function processParts({connection, known, processes}: Parts): Pick<ConsoleApi, 'pager' | 'pageJob' | 'services' | 'logs' | 'events' | 'jobLogs'> {
	return {
		pager: pagerCommand(),
		pageJob: async (queue, id, suspend) => {
			const written = await writeJobFile(connection, queue, id);
			try {
				await suspend(async signal => {
					try {
						await runPager(written.file, signal);
					} finally {
						// Stopped by SIGTERM: the console ends as soon as this returns.
						if (signal.aborted) written.removeNow();
					}
				});
			} finally {
				await written.remove();
			}
			return {bytes: written.bytes};
		},
		services: async () => (await processes()).list(),
		logs: async (name, options, onLine) => (await processes()).logs(name, options, onLine),
		events: async (onEvent, signal, onReady, options) => {
			const queueNames = await known();
			const blocking = await connection.duplicate('blocking');
			try {
				await followEvents(blocking, queueNames, onEvent, {signal, ...(onReady ? {onReady} : {}), ...(options?.recent ? {recent: options.recent} : {})});
			} finally {
				await blocking.close();
			}
		},
		jobLogs: async (queue, id, onLine, signal) => {
			const job = await getJob(connection, queue, id, {fieldBytes: ROW_FIELD_BYTES});
			const window = jobLogWindow({...job, queue, id});
			if (!window) throw new UserError('usage', `job ${queue}/${id} has not run yet (state ${job.state})`, 'its worker lines appear once a worker takes it');
			await (await processes()).logs('all', {sinceMs: window.sinceMs, untilMs: window.untilMs, ...(signal ? {signal} : {})}, line => {
				if (window.matches(line)) onLine(line);
			});
		},
	};
}

export function createConsoleApi({connection, config, openController, access, refreshMs = 2000}: ConsoleDeps): ConsoleApi {
	const readOnlyReason = config.readOnly ? 'started with --read-only' : access && !access.writable ? access.reason : undefined;
	let controller: Promise<ProcessController> | undefined;
	const processes = async () => {
		controller ??= openController();
		controller.catch(() => {
			controller = undefined;
		});
		return controller;
	};
	const block: WriteBlock = readOnlyReason
		? {reason: readOnlyReason, hint: config.readOnly ? 'start the console without --read-only to make changes' : 'connect as a user that may write, to the master'}
		: undefined;
	/** The one guarded-write path (data/guarded-write.ts), recorded as the console's command. */
	const write: Write = async (action, queue, work) => guardedWrite({connection, action, queue, argv: ['console', action]}, block, work);
	const parts: Parts = {connection, config, known: knownQueuesCache(connection, config), processes, write};
	return {
		readOnly: readOnlyReason !== undefined,
		...(readOnlyReason ? {readOnlyReason} : {}),
		where: connection.where,
		...(config.name ? {environment: config.name} : {}),
		prefix: config.prefix,
		timezone: config.timezone,
		refreshMs,
		...readParts(parts),
		...writeParts(parts),
		...processParts(parts),
	};
}
