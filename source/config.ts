/**
 * Configuration: flags > environment > config file > the seed's defaults.
 *
 * The file is validated with valibot (a schema library whose import costs a
 * few milliseconds, where zod costs ~60 ms: this code runs on every cron/Nagios
 * invocation). It is only loaded when a file exists; the defaults need no check.
 */
import {existsSync, readFileSync, readlinkSync} from 'node:fs';
import path from 'node:path';
import {UserError} from './errors.js';

/** How to reach Redis: one server by URL, a Cluster, or Sentinel. */
export type RedisTarget =
	| {kind: 'url'; url: string}
	| {kind: 'cluster'; nodes: string[]}
	| {kind: 'sentinel'; sentinels: string[]; name: string; url?: string};

export type Backoff = {type: 'fixed' | 'exponential'; delay: number};
export type Isolation = 'none' | 'thread' | 'process';

export type QueueConfig = {
	/** Seconds a job may run before it fails with a timeout. */
	timeout: number;
	tries: number;
	backoff?: Backoff;
	isolation: Isolation;
	concurrency: number;
	limiter?: {max: number; duration: number};
};

export type ScheduleConfig = {
	id: string;
	cron: string;
	queue: string;
	/** Job name; defaults to the schedule id, as Laravel runs the command of that name. */
	name: string;
	data?: unknown;
	timezone?: string;
};

/** TLS for rediss://: a private CA, a client certificate and key, the name on the server's certificate. */
export type TlsConfig = {
	/** PEM file of the CA that signed the server's certificate (else the system's CAs). */
	ca?: string;
	/** PEM files of a client certificate and its key, for servers with tls-auth-clients. */
	cert?: string;
	key?: string;
	/** The name to verify on the server's certificate (SNI), when it is not the host in the URL. */
	servername?: string;
};

export type Config = {
	redis: RedisTarget;
	tls?: TlsConfig;
	/** Seconds any one Redis command of a CLI run or the console may take (a stalled server). */
	redisTimeout: number;
	/** From REDIS_PASSWORD; applies to every node when the URL carries none. */
	password?: string;
	prefix: string;
	/** The environment's name ("production"), shown in the console's header. */
	name?: string;
	timezone: string;
	readOnly: boolean;
	/** Queue names in priority order (the order of the file's `queues`). */
	queueOrder: string[];
	queues: Record<string, QueueConfig>;
	/** Job name → absolute module path. */
	processors: Record<string, string>;
	schedules: ScheduleConfig[];
	/** Size thresholds per queue (`monitor default:100`). */
	monitor: Record<string, number>;
	/** The other monitor checks per queue, from the file's `"monitor": {"high": {"maxWait": "30s", …}}`. */
	monitorChecks: Record<string, MonitorChecks>;
	/** Job metrics the workers record (README, "Metrics"). */
	metrics: MetricsConfig;
	worker: {sleep: number; maxTime: number; memory?: number};
	/** Which process backend manages the services: systemd, the local supervisor, or detect. */
	processes: 'auto' | 'systemd' | 'local';
	/** The local supervisor's folder (socket, state, logs/). */
	stateDir: string;
	limits: Limits;
	/** The file the settings came from, when one did. */
	file?: string;
};

/**
 * Sizes of job data. BullMQ and Redis carry megabytes (a string may hold
 * 512 MB), but a job whose data runs to megabytes is a design error — every
 * worker fetch, retry, `job` and retained completed job copies it — so
 * `dispatch` refuses it, and what reads jobs for showing takes only the start
 * of a large field.
 */
export type Limits = {
	/**
	 * `dispatch` refuses data larger than this (bytes of its JSON text as stored). 512 KB:
	 * twice what Laravel's SQS queues can carry (SQS caps a message at 256 KB), hundreds of
	 * times a real SACCOS event (a loan approval is well under 1 KB, a report request a few KB).
	 */
	maxJobDataBytes: number;
	/**
	 * How much of a job's data, failed reason, stack traces and return value the console's job
	 * view and `job` show, and `jobs`/`failed --json` carry per job (bytes; beyond it: the
	 * start, and the full size). 64 KB: more than a screen holds, read in well under 50 ms.
	 */
	jobPreviewBytes: number;
	/**
	 * How many jobs a search (`jobs --grep`, the console's `:find`) looks at unless told
	 * otherwise (`--max-scan`): 10,000 read in well under a second, a page of a few hundred at a time.
	 */
	searchMaxScanned: number;
};

/** A queue's monitor checks beyond its size. */
export type MonitorChecks = {
	/** Alert when the oldest waiting job has waited this long (ms) since it became due. */
	maxWaitMs?: number;
	/** Alert when jobs wait and fewer live workers than this serve the queue. */
	minWorkers?: number;
	/** Alert when the share of failed jobs over the window reaches the rate (0–1). */
	maxFailureRate?: {rate: number; windowMs: number};
};

/** What the workers record, and for how long Redis keeps it. */
export type MetricsConfig = {
	enabled: boolean;
	/** Minute hashes live this long after their minute (ms); at least 24 h. */
	minuteRetentionMs: number;
	/** Hour hashes live this long after their hour (ms); at least 7 days. */
	hourRetentionMs: number;
	/** BullMQ's own per-minute counts: how many minutes its metrics keep (its `maxDataPoints`). */
	bullmqDataPoints: number;
	/** How often a worker sends its counts (ms). */
	flushEveryMs: number;
	/** Distinct job names recorded per queue; later names count as "(other)". */
	maxNames: number;
};

export const DEFAULT_METRICS_CONFIG: MetricsConfig = {
	enabled: true,
	minuteRetentionMs: 24 * 3_600_000,
	hourRetentionMs: 7 * 24 * 3_600_000,
	// BullMQ's MetricsTime.ONE_WEEK.
	bullmqDataPoints: 10_080,
	flushEveryMs: 5000,
	maxNames: 100,
};

export const DEFAULT_LIMITS: Limits = {maxJobDataBytes: 512 * 1024, jobPreviewBytes: 64 * 1024, searchMaxScanned: 10_000};

/** The overrides a command line can carry. */
export type ConfigFlags = {
	redis?: string;
	tls?: TlsConfig;
	prefix?: string;
	config?: string;
	readOnly?: boolean;
};

/**
 * The host's time zone. TZ or the /etc/localtime link first: the first Intl
 * call initialises ICU, ~15 ms of a cold `status --json` that cron pays.
 */
function hostTimezone(): string {
	const fromEnv = process.env['TZ']?.replace(/^:/, '');
	if (fromEnv && /^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/.test(fromEnv)) return fromEnv;
	try {
		const match = /zoneinfo\/(.+)$/.exec(readlinkSync('/etc/localtime'));
		if (match) return match[1]!;
	} catch {
		// no link: ask Intl
	}
	return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

const seedQueue = (timeout: number): QueueConfig => ({timeout, tries: 3, isolation: 'none', concurrency: 1});

/** The seed document's system, as built-in defaults. */
export function defaultConfig(): Config {
	return {
		redis: {kind: 'url', url: 'redis://127.0.0.1:6379'},
		redisTimeout: 5,
		prefix: 'bull',
		timezone: hostTimezone(),
		readOnly: false,
		queueOrder: ['high', 'default', 'emails', 'notifications'],
		queues: {
			high: seedQueue(90),
			default: seedQueue(90),
			emails: seedQueue(60),
			notifications: seedQueue(60),
		},
		processors: {},
		schedules: [
			{id: 'reports:generate-scheduled', cron: '* * * * *', queue: 'default', name: 'reports:generate-scheduled'},
			{id: 'reports:generate-daily', cron: '0 2 * * *', queue: 'default', name: 'reports:generate-daily'},
			{id: 'reports:generate-weekly', cron: '0 6 * * 0', queue: 'default', name: 'reports:generate-weekly'},
			{id: 'reports:generate-monthly', cron: '0 7 1 * *', queue: 'default', name: 'reports:generate-monthly'},
		],
		monitor: {default: 100, high: 50, emails: 100, notifications: 100},
		monitorChecks: {},
		metrics: {...DEFAULT_METRICS_CONFIG},
		worker: {sleep: 3, maxTime: 3600},
		processes: 'auto',
		stateDir: defaultStateDir(),
		limits: {...DEFAULT_LIMITS},
	};
}

/** $SACCOS_QUEUE_STATE_DIR, else $XDG_STATE_HOME/saccos-queue, else ~/.local/state/saccos-queue. */
function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
	if (env['SACCOS_QUEUE_STATE_DIR']) return path.resolve(env['SACCOS_QUEUE_STATE_DIR']);
	const base = env['XDG_STATE_HOME'] || path.join(env['HOME'] || '/tmp', '.local', 'state');
	return path.join(base, 'saccos-queue');
}

/** Where a config file is looked for when neither --config nor SACCOS_QUEUE_CONFIG names one. */
export const searchPaths = (cwd = process.cwd()): string[] => [
	path.join(cwd, 'saccos-queue.config.json'),
	path.join(cwd, 'saccos-queue.config.yaml'),
	path.join(cwd, 'saccos-queue.config.yml'),
	'/etc/saccos-queue/config.json',
	'/etc/saccos-queue/config.yaml',
	'/etc/saccos-queue/config.yml',
];

function findConfigFile(flags: ConfigFlags, env: NodeJS.ProcessEnv): string | undefined {
	const named = flags.config ?? env['SACCOS_QUEUE_CONFIG'];
	if (named) {
		const file = path.resolve(named);
		if (!existsSync(file)) {
			throw new UserError('config', `config file ${file} does not exist`, 'check --config / SACCOS_QUEUE_CONFIG');
		}
		return file;
	}
	return searchPaths().find(candidate => existsSync(candidate));
}

async function readConfigFile(file: string): Promise<unknown> {
	let text: string;
	try {
		text = readFileSync(file, 'utf8');
	} catch (error) {
		throw new UserError('config', `cannot read config file ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, 'check the file permissions');
	}
	try {
		if (/\.ya?ml$/i.test(file)) {
			const {parse} = await import('yaml');
			return parse(text) ?? {};
		}
		return JSON.parse(text);
	} catch (error) {
		const detail = (error as Error).message.split('\n')[0];
		throw new UserError('config', `${file}: not valid ${/\.ya?ml$/i.test(file) ? 'YAML' : 'JSON'}: ${detail}`, 'fix the syntax; `saccos-queue doctor` checks the whole file');
	}
}

/**
 * Loads the configuration. Throws a UserError (exit 2) naming the file, the
 * field and what was expected when the file is invalid.
 */
export async function loadConfig(flags: ConfigFlags = {}, env: NodeJS.ProcessEnv = process.env): Promise<Config> {
	const config = defaultConfig();
	const file = findConfigFile(flags, env);
	if (file) {
		const raw = await readConfigFile(file);
		const {applyFile, checkSchedules} = await import('./config-schema.js');
		applyFile(config, raw, file);
		await checkSchedules(config, file);
		config.file = file;
	}

	// Environment over file.
	if (env['REDIS_URL']) config.redis = {kind: 'url', url: env['REDIS_URL']};
	if (env['REDIS_PASSWORD']) config.password = env['REDIS_PASSWORD'];
	if (env['SACCOS_QUEUE_PREFIX']) config.prefix = env['SACCOS_QUEUE_PREFIX'];
	if (env['SACCOS_QUEUE_STATE_DIR']) config.stateDir = path.resolve(env['SACCOS_QUEUE_STATE_DIR']);
	const envTls = {ca: env['REDIS_TLS_CA'], cert: env['REDIS_TLS_CERT'], key: env['REDIS_TLS_KEY'], servername: env['REDIS_TLS_SERVERNAME']};
	config.tls = mergeTls(mergeTls(config.tls, envTls), flags.tls);
	if (env['SACCOS_QUEUE_REDIS_TIMEOUT']) config.redisTimeout = parseTimeout(env['SACCOS_QUEUE_REDIS_TIMEOUT'], 'SACCOS_QUEUE_REDIS_TIMEOUT');
	if (env['SACCOS_QUEUE_READ_ONLY'] && !/^(0|false|no)$/i.test(env['SACCOS_QUEUE_READ_ONLY'])) config.readOnly = true;

	// Flags over environment.
	if (flags.redis) config.redis = {kind: 'url', url: flags.redis};
	if (flags.prefix !== undefined) config.prefix = flags.prefix;
	if (flags.readOnly) config.readOnly = true;

	if (config.redis.kind === 'url') {
		const where = flags.redis ? 'the --redis URL' : env['REDIS_URL'] ? 'REDIS_URL' : file ? `${file}: field "redis"` : 'the Redis URL';
		checkRedisUrl(config.redis.url, where);
	}
	checkTls(config);
	if (!config.prefix || /\s/.test(config.prefix)) {
		throw new UserError('usage', `invalid prefix ${JSON.stringify(config.prefix)}`, 'a prefix is a non-empty word such as "bull" or "{saccos}"');
	}
	return config;
}

/** Rejects what ioredis would silently misread (a typo'd scheme connects to localhost). */
export function checkRedisUrl(url: string, where = 'the Redis URL'): void {
	// The URL may carry a password: the messages quote where it came from, never the URL itself.
	const code = where.includes(': field') ? 'config' : 'usage';
	let parsed: URL;
	try {
		parsed = new URL(url);
	} catch {
		throw new UserError(code, `${where} is not a valid URL`, 'use redis://[user:password@]host:port[/db] or rediss:// for TLS');
	}
	if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
		throw new UserError(code, `${where}: unsupported scheme "${parsed.protocol}"`, 'use redis:// or rediss:// (TLS); Sentinel and Cluster go in the config file');
	}
	const db = parsed.pathname.replace(/^\//, '');
	if (db !== '' && !/^\d+$/.test(db)) {
		throw new UserError(code, `${where}: the database "${db}" is not a number`, 'use redis://host:port/0');
	}
}

/** `over` on top of `base`, field by field; undefined when neither sets anything. */
function mergeTls(base: TlsConfig | undefined, over: Partial<Record<keyof TlsConfig, string | undefined>> | undefined): TlsConfig | undefined {
	const merged: TlsConfig = {...base};
	for (const [key, value] of Object.entries(over ?? {}) as Array<[keyof TlsConfig, string | undefined]>) {
		if (value) merged[key] = key === 'servername' ? value : path.resolve(value);
	}
	return Object.keys(merged).length > 0 ? merged : undefined;
}

function parseTimeout(text: string, where: string): number {
	const value = Number(text);
	if (!Number.isFinite(value) || value <= 0 || value > 3600) {
		throw new UserError('config', `${where} must be a number of seconds from 0.1 to 3600, got "${text}"`, 'e.g. 5');
	}
	return value;
}

/**
 * TLS settings only mean something for a rediss:// target: with a plain
 * redis:// URL they would be ignored and the connection go out unencrypted.
 */
function checkTls(config: Config): void {
	const tls = config.tls;
	if (!tls) return;
	const target = config.redis;
	const urls = target.kind === 'url' ? [target.url] : target.kind === 'cluster' ? target.nodes : [target.url ?? '', ...target.sentinels];
	if (!urls.some(url => /^rediss:/i.test(url))) {
		throw new UserError('usage', 'TLS settings (CA, certificate, key or server name) are given but the Redis URL is not rediss://', 'use a rediss:// URL for a TLS server, or drop the TLS settings');
	}
	if (Boolean(tls.cert) !== Boolean(tls.key)) {
		throw new UserError('usage', `a TLS client ${tls.cert ? 'certificate needs its key' : 'key needs its certificate'}`, 'give both --tls-cert FILE and --tls-key FILE (or "tls": {"cert", "key"} in the config)');
	}
}
