/**
 * The plain, JSON-safe snapshots the data layer returns. The same objects
 * feed --json, the tables and the console views (docs/ARCHITECTURE.md, "A refresh, end to end"): what the
 * README documents as JSON is exactly these types.
 */
import type {MetricsSummary, MetricTotals} from './histogram.js';

/** BullMQ's own state names, no synonyms. */
export const JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed'] as const;
export type JobState = (typeof JOB_STATES)[number];

export type QueueCounts = Record<JobState, number>;

export type QueueSnapshot = {
	name: string;
	paused: boolean;
	counts: QueueCounts;
	/** Workers connected for this queue (BullMQ's client names in CLIENT LIST). */
	workers: number;
	/** The monitor threshold, null when none is configured. */
	threshold: number | null;
	/** waiting + prioritized + delayed + active, as Laravel counts a Redis queue. */
	size: number;
	overThreshold: boolean;
	/** Whether any BullMQ key of this queue exists. */
	exists: boolean;
	/**
	 * How long (ms) the job next in line has waited since it became due (its timestamp plus its
	 * delay; a retried job, since its last start): the older of the next waiting and the next
	 * prioritized job. Null when none waits, or when Redis refused the read-only script (an ACL
	 * without @scripting: see `warnings`).
	 */
	oldestWaitMs: number | null;
};

export type RedisHealth = {
	/** Where we are connected; never contains a password. */
	url: string;
	mode: 'standalone' | 'cluster' | 'sentinel';
	/** INFO's role of the node answering: "master", or "slave" for a replica (which refuses writes). */
	role?: string;
	version: string;
	usedMemory: number;
	/** 0 means no limit. */
	maxMemory: number;
	evictionPolicy: string;
	nodes: number;
	uptimeSeconds: number;
	connectedClients: number;
	persistence: {aof: boolean; rdb: boolean};
	/** Round-trip time of the snapshot itself, in ms. */
	latencyMs: number;
};

export type WorkerInfo = {
	/** The connection's client name (BullMQ's `<prefix>:<base64 queue>[:w:<name>]`). */
	name: string;
	queue: string;
	/** The worker's own name when it set one. */
	workerName: string | null;
	addr: string;
	/** Seconds since the connection opened. */
	age: number;
	/** Seconds since its last command. */
	idle: number;
	source: 'bullmq';
};

export type ScheduleInfo = {
	id: string;
	queue: string;
	/** From the config; null for a scheduler found in Redis but not configured here. */
	cron: string | null;
	timezone: string | null;
	configured: boolean;
	/** Whether Redis holds this Job Scheduler. */
	inRedis: boolean;
	/** Epoch ms of the next run, null when the scheduler is not in Redis. */
	nextRun: number | null;
};

export type Snapshot = {
	redis: RedisHealth;
	queues: QueueSnapshot[];
	workers: WorkerInfo[];
	schedules: ScheduleInfo[];
	/** Problems worth a look that do not stop the command (e.g. eviction policy). */
	warnings: string[];
	generatedAt: string;
};

export type JobSummary = {
	id: string;
	queue: string;
	name: string;
	state: JobState | 'unknown';
	attemptsMade: number;
	failedReason: string | null;
	timestamp: number | null;
	processedOn: number | null;
	finishedOn: number | null;
	delay: number;
	priority: number;
	/** Parsed job data; null when it cannot be parsed (see dataError) or was not read whole (see dataTruncated). */
	data: unknown;
	dataError?: string;
	/**
	 * The data is larger than this read takes (a page, the console, `job` without --json read
	 * the first `limits.jobPreviewBytes` of each large field): `data` is null, `dataBytes` is
	 * its full size and `dataPreview` the first bytes of its JSON text, cut on a character.
	 */
	dataTruncated?: true;
	dataBytes?: number;
	/** Absent when the server refused the read-only script that cuts it (an ACL without @scripting). */
	dataPreview?: string;
	/** The failed reason is larger than this read takes: `failedReason` holds its start, `failedReasonBytes` its full size. */
	failedReasonTruncated?: true;
	failedReasonBytes?: number;
};

export type JobDetail = JobSummary & {
	opts: unknown;
	optsError?: string;
	stacktrace: string[];
	/** The stack traces are larger than this read takes: `stacktrace` holds the (oldest) traces their start holds. */
	stacktraceTruncated?: true;
	stacktraceBytes?: number;
	returnvalue: unknown;
	/** As dataTruncated, for the return value (`returnvalue` is then null). */
	returnvalueTruncated?: true;
	returnvalueBytes?: number;
	returnvaluePreview?: string;
	progress: unknown;
	attemptsStarted: number;
	parent: string | null;
	/** The worker that last took the job (BullMQ's `pb`: our worker id for our workers). */
	processedBy: string | null;
	logs: {total: number; lines: string[]};
};

export type JobPage = {
	queue: string;
	state: JobState;
	total: number;
	offset: number;
	limit: number;
	jobs: JobSummary[];
};

/**
 * How far a search went (`jobs --grep --json`'s `search`, data/search.ts): of the `total` jobs
 * of the state, `scanned` were looked at, newest first (as the pages show them); `complete`
 * when that was all of them. `stoppedBy`: the scan limit (`--max-scan`), or the operator (Esc, ^C).
 */
export type JobSearch = {
	text: string;
	scanned: number;
	total: number;
	complete: boolean;
	stoppedBy?: 'limit' | 'signal';
	/** Jobs that matched; more than the matches carried when the cap was reached. */
	matched: number;
	/** How much of each job's name, failed reason and data is searched: its first this many bytes. */
	fieldBytes: number;
	/** Jobs whose failed reason or data is larger than `unreadAbove` bytes: not read at all (only their id, name and the rest were searched). */
	unread: number;
	unreadAbove: number;
};

/** A search's outcome: its matches (at most the cap, newest first) and how far it went. */
export type SearchResult = JobSearch & {
	queue: string;
	state: JobState;
	matches: JobSummary[];
};

/** A search under way, after each page. */
export type SearchProgress = {scanned: number; total: number; matched: number};

/** The recorded metrics of one queue over a window (`metrics --json`, data/metrics.ts). */
export type QueueMetrics = MetricsSummary & {
	queue: string;
	/** Per job name, busiest first (only when asked: `byName`). */
	names?: Array<MetricsSummary & {name: string; /** Runtime of every attempt summed, ms. */ totalMs?: number; /** The runtime histogram's buckets that hold any attempt (only when asked). */ runtimeHistogram?: Array<{fromMs: number; toMs: number; count: number}>}>;
};

export type MetricsRead = {
	/** The window, epoch ms: from the start of its first minute (or hour) to now. */
	from: number;
	to: number;
	/** "minute" when the edges are read to the minute; "hour" when the window is whole hours (beyond 24 h). */
	resolution: 'minute' | 'hour';
	queues: QueueMetrics[];
};

/**
 * What a Prometheus scrape reads (data/scrape.ts → output/prometheus.ts): each queue's state now
 * and its all-time recorded totals per job name, and when the workers last flushed.
 */
export type ScrapeRead = {
	queues: QueueSnapshot[];
	/** Per queue (those of `queues` with totals), job name → all-time totals. */
	totals: Array<{queue: string; names: Array<{name: string; totals: MetricTotals}>}>;
	/** Epoch ms of the last metrics flush of any worker; null when none is kept. */
	lastFlushMs: number | null;
	/** Epoch ms of the read. */
	at: number;
	warnings: string[];
};

/** Per-minute counts of one queue, for sparklines. */
export type MinuteSeries = {
	queue: string;
	/** Epoch ms of each minute's start, oldest first; the last is the current (incomplete) minute. */
	minutes: number[];
	/** Jobs completed in each minute. */
	completed: number[];
	/** Jobs failed for good in each minute. */
	failed: number[];
};

/** One check of `monitor --json` (README, "JSON shapes"). */
export type MonitorCheck = {
	queue: string;
	check: 'size' | 'maxWait' | 'minWorkers' | 'maxFailureRate';
	/** The size, the wait (ms), the live workers, the failure rate (0–1); null when there is none to measure. */
	value: number | null;
	/** The threshold, the longest wait (ms), the fewest workers, the highest rate (0–1). */
	limit: number;
	/** The failure rate's window (ms); maxFailureRate only. */
	windowMs?: number;
	ok: boolean;
	/** What was found, in words. */
	message: string;
};
