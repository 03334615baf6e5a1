/**
 * The config file's schema (README, "Configuration"). Loaded only when a
 * file exists. Objects are strict: a misspelt key is an error naming it, not a
 * setting silently ignored at 3 a.m.
 */
import {existsSync} from 'node:fs';
import path from 'node:path';
import * as v from 'valibot';
import {UserError} from './errors.js';
import type {Config, MonitorChecks, QueueConfig} from './config.js';
import {parseDuration} from './util/duration.js';
import {parseRate} from './util/rate.js';

const positiveInt = v.pipe(v.number(), v.integer(), v.minValue(1));
const seconds = v.pipe(v.number(), v.minValue(0.001));
const name = v.pipe(v.string(), v.minLength(1), v.regex(/^[^\s:]+$/, 'a name without spaces or ":"'));

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** A duration as text ("30s", "24h") from `min` to `max` ms. */
const duration = (min: number, max: number, example: string) =>
	v.pipe(
		v.string(),
		v.check(text => {
			const ms = parseDuration(text);
			return ms !== undefined && ms >= min && ms <= max;
		}, `a duration such as "${example}" (from ${formatMs(min)} to ${formatMs(max)})`),
	);

function formatMs(ms: number): string {
	if (ms % DAY === 0) return `${ms / DAY}d`;
	if (ms % HOUR === 0) return `${ms / HOUR}h`;
	return ms % 60_000 === 0 ? `${ms / 60_000}m` : `${ms / 1000}s`;
}

const monitorSchema = v.union([
	v.pipe(v.number(), v.integer(), v.minValue(0)),
	v.strictObject({
		size: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
		maxWait: v.optional(duration(1000, 30 * DAY, '30s')),
		minWorkers: v.optional(positiveInt),
		maxFailureRate: v.optional(v.pipe(v.string(), v.check(text => parseRate(text) !== undefined, 'a failure rate such as "5%/15m" (a percent, a window from 1m to 7d)'))),
	}),
]);

const metricsSchema = v.strictObject({
	enabled: v.optional(v.boolean()),
	minuteRetention: v.optional(duration(DAY, 30 * DAY, '24h')),
	hourRetention: v.optional(duration(7 * DAY, 400 * DAY, '7d')),
	bullmqRetention: v.optional(duration(HOUR, 90 * DAY, '7d')),
	flushInterval: v.optional(duration(1000, 60_000, '5s')),
	maxNames: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1000))),
});

const backoffSchema = v.strictObject({
	type: v.picklist(['fixed', 'exponential']),
	delay: v.pipe(v.number(), v.integer(), v.minValue(0)),
});

const queueSchema = v.strictObject({
	timeout: v.optional(seconds),
	tries: v.optional(positiveInt),
	backoff: v.optional(backoffSchema),
	isolation: v.optional(v.picklist(['none', 'thread', 'process'])),
	concurrency: v.optional(positiveInt),
	limiter: v.optional(v.strictObject({max: positiveInt, duration: positiveInt})),
});

const redisSchema = v.union([
	v.pipe(v.string(), v.regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL')),
	v.strictObject({cluster: v.pipe(v.array(v.string()), v.minLength(1))}),
	v.strictObject({
		sentinels: v.pipe(v.array(v.string()), v.minLength(1)),
		name: v.pipe(v.string(), v.minLength(1)),
		url: v.optional(v.string()),
	}),
]);

const scheduleSchema = v.strictObject({
	id: v.pipe(v.string(), v.minLength(1)),
	cron: v.pipe(v.string(), v.regex(/^(\S+(\s+\S+){4,5}|@(yearly|annually|monthly|weekly|daily|hourly))$/, 'a cron expression with 5 or 6 fields')),
	queue: v.optional(name),
	name: v.optional(v.string()),
	data: v.optional(v.unknown()),
	timezone: v.optional(v.string()),
});

const fileSchema = v.strictObject({
	redis: v.optional(redisSchema),
	tls: v.optional(
		v.strictObject({
			ca: v.optional(v.pipe(v.string(), v.minLength(1))),
			cert: v.optional(v.pipe(v.string(), v.minLength(1))),
			key: v.optional(v.pipe(v.string(), v.minLength(1))),
			servername: v.optional(v.pipe(v.string(), v.minLength(1))),
		}),
	),
	redisTimeout: v.optional(v.pipe(v.number(), v.minValue(0.1), v.maxValue(3600))),
	/** The environment's name for people ("production", "staging"): the console's header shows it. */
	name: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(40))),
	prefix: v.optional(v.pipe(v.string(), v.minLength(1))),
	timezone: v.optional(v.string()),
	readOnly: v.optional(v.boolean()),
	queues: v.optional(v.record(name, queueSchema)),
	processors: v.optional(v.record(v.string(), v.pipe(v.string(), v.minLength(1)))),
	schedules: v.optional(v.array(scheduleSchema)),
	monitor: v.optional(v.record(name, monitorSchema)),
	metrics: v.optional(metricsSchema),
	processes: v.optional(v.picklist(['auto', 'systemd', 'local'])),
	stateDir: v.optional(v.pipe(v.string(), v.minLength(1))),
	limits: v.optional(
		v.strictObject({
			maxJobDataBytes: v.optional(positiveInt),
			// Below 1 KB a preview shows too little to recognise a job; above 16 MB it no longer bounds anything.
			jobPreviewBytes: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1024), v.maxValue(16 * 1024 * 1024))),
			searchMaxScanned: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1_000_000))),
		}),
	),
	worker: v.optional(
		v.strictObject({
			sleep: v.optional(v.pipe(v.number(), v.minValue(0))),
			maxTime: v.optional(v.pipe(v.number(), v.minValue(0))),
			memory: v.optional(v.pipe(v.number(), v.minValue(1))),
		}),
	),
});

type FileConfig = v.InferOutput<typeof fileSchema>;

function describe(issue: v.BaseIssue<unknown>): string {
	// "monitor.high" is a number or an object: when it is an object, say what is wrong inside it.
	if (issue.type === 'union' && issue.path?.[0]?.key === 'monitor' && typeof issue.input === 'object' && issue.input !== null && issue.issues?.length) {
		// The object's own issue is the one with a path inside it (valibot gives it relative to the union).
		const inner = issue.issues.find(sub => (sub.path?.length ?? 0) > 0);
		if (inner) return describe({...inner, path: [...(issue.path ?? []), ...inner.path!]} as v.BaseIssue<unknown>);
	}
	const where = v.getDotPath(issue) ?? '(top level)';
	if (issue.kind === 'schema' && issue.type === 'strict_object' && issue.expected === 'never') {
		return `field "${where}" is not a known setting`;
	}
	// A regex says what it wants in its own message ("a cron expression with 5 or 6 fields"), not as a pattern.
	const expected = issue.type === 'regex' || issue.type === 'check' ? `expected ${issue.message}` : issue.expected ? `expected ${issue.expected}` : issue.message;
	return `field "${where}": ${expected}, got ${issue.received}`;
}

function isValidTimezone(zone: string): boolean {
	try {
		new Intl.DateTimeFormat('en', {timeZone: zone});
		return true;
	} catch {
		return false;
	}
}

/** Validates `raw` (the parsed file) and merges it into `config` in place. */
export function applyFile(config: Config, raw: unknown, file: string): void {
	const result = v.safeParse(fileSchema, raw);
	if (!result.success) {
		const first = result.issues[0]!;
		const more = result.issues.length > 1 ? ` (and ${result.issues.length - 1} more)` : '';
		throw new UserError('config', `${file}: ${describe(first)}${more}`, 'see the README section "Configuration" for the file format');
	}
	merge(config, result.output, file);
}

function merge(config: Config, input: FileConfig, file: string): void {
	const folder = path.dirname(file);
	if (input.redis !== undefined) {
		if (typeof input.redis === 'string') config.redis = {kind: 'url', url: input.redis};
		else if ('cluster' in input.redis) config.redis = {kind: 'cluster', nodes: input.redis.cluster};
		else config.redis = {kind: 'sentinel', sentinels: input.redis.sentinels, name: input.redis.name, url: input.redis.url};
	}
	if (input.prefix !== undefined) config.prefix = input.prefix;
	if (input.name !== undefined) config.name = input.name;
	if (input.redisTimeout !== undefined) config.redisTimeout = input.redisTimeout;
	if (input.tls !== undefined) {
		config.tls = {
			...(input.tls.ca ? {ca: path.resolve(folder, input.tls.ca)} : {}),
			...(input.tls.cert ? {cert: path.resolve(folder, input.tls.cert)} : {}),
			...(input.tls.key ? {key: path.resolve(folder, input.tls.key)} : {}),
			...(input.tls.servername ? {servername: input.tls.servername} : {}),
		};
	}
	if (input.timezone !== undefined) {
		if (!isValidTimezone(input.timezone)) {
			throw new UserError('config', `${file}: field "timezone": unknown time zone "${input.timezone}"`, 'use an IANA name such as "Africa/Dar_es_Salaam"');
		}
		config.timezone = input.timezone;
	}
	if (input.readOnly !== undefined) config.readOnly = input.readOnly;
	if (input.queues !== undefined) {
		const defaults = config.queues;
		config.queues = {};
		config.queueOrder = Object.keys(input.queues);
		for (const [queue, settings] of Object.entries(input.queues)) {
			const base: QueueConfig = defaults[queue] ?? {timeout: 90, tries: 3, isolation: 'none', concurrency: 1};
			config.queues[queue] = {
				timeout: settings.timeout ?? base.timeout,
				tries: settings.tries ?? base.tries,
				isolation: settings.isolation ?? base.isolation,
				concurrency: settings.concurrency ?? base.concurrency,
				...(settings.backoff ? {backoff: settings.backoff} : {}),
				...(settings.limiter ? {limiter: settings.limiter} : {}),
			};
		}
	}
	if (input.processors !== undefined) {
		config.processors = Object.fromEntries(
			Object.entries(input.processors).map(([job, module]) => {
				const resolved = path.isAbsolute(module) ? module : path.resolve(folder, module);
				// Found now, by every command and `doctor`, not by the first job of that name at 3 a.m.
				if (!existsSync(resolved)) {
					throw new UserError('config', `${file}: field "processors.${job}": module file ${resolved} does not exist`, 'a relative path is read from the config file\'s folder; deploy the module or fix the path');
				}
				return [job, resolved];
			}),
		);
	}
	if (input.schedules !== undefined) {
		config.schedules = input.schedules.map((schedule, index) => {
			if (schedule.timezone !== undefined && !isValidTimezone(schedule.timezone)) {
				throw new UserError('config', `${file}: field "schedules.${index}.timezone": unknown time zone "${schedule.timezone}"`, 'use an IANA name such as "Africa/Dar_es_Salaam"');
			}
			return {
				id: schedule.id,
				cron: schedule.cron,
				queue: schedule.queue ?? 'default',
				name: schedule.name ?? schedule.id,
				...(schedule.data === undefined ? {} : {data: schedule.data}),
				...(schedule.timezone === undefined ? {} : {timezone: schedule.timezone}),
			};
		});
	}
	if (input.monitor !== undefined) mergeMonitor(config, input.monitor);
	if (input.metrics !== undefined) mergeMetrics(config, input.metrics);
	if (input.processes !== undefined) config.processes = input.processes;
	if (input.stateDir !== undefined) config.stateDir = path.resolve(folder, input.stateDir);
	if (input.worker !== undefined) {
		config.worker = {...config.worker, ...input.worker};
	}
	if (input.limits !== undefined) {
		config.limits = {...config.limits, ...input.limits};
	}
}

/** `"monitor"`: a number is the size threshold (as before); an object may add maxWait, minWorkers, maxFailureRate. */
function mergeMonitor(config: Config, input: NonNullable<FileConfig['monitor']>): void {
	config.monitor = {};
	config.monitorChecks = {};
	for (const [queue, entry] of Object.entries(input)) {
		if (typeof entry === 'number') {
			config.monitor[queue] = entry;
			continue;
		}
		if (entry.size !== undefined) config.monitor[queue] = entry.size;
		const checks: MonitorChecks = {
			...(entry.maxWait === undefined ? {} : {maxWaitMs: parseDuration(entry.maxWait)!}),
			...(entry.minWorkers === undefined ? {} : {minWorkers: entry.minWorkers}),
			...(entry.maxFailureRate === undefined ? {} : {maxFailureRate: parseRate(entry.maxFailureRate)!}),
		};
		if (Object.keys(checks).length > 0) config.monitorChecks[queue] = checks;
	}
}

function mergeMetrics(config: Config, input: NonNullable<FileConfig['metrics']>): void {
	const ms = (text: string | undefined, fallback: number): number => (text === undefined ? fallback : parseDuration(text)!);
	const base = config.metrics;
	config.metrics = {
		enabled: input.enabled ?? base.enabled,
		minuteRetentionMs: ms(input.minuteRetention, base.minuteRetentionMs),
		hourRetentionMs: ms(input.hourRetention, base.hourRetentionMs),
		bullmqDataPoints: input.bullmqRetention === undefined ? base.bullmqDataPoints : Math.round(parseDuration(input.bullmqRetention)! / 60_000),
		flushEveryMs: ms(input.flushInterval, base.flushEveryMs),
		maxNames: input.maxNames ?? base.maxNames,
	};
}

/**
 * Every schedule's cron expression parses, in its time zone, with the parser
 * BullMQ's job schedulers use (cron-parser, the same version): an expression
 * such as "61 * * * *" is refused here, where the file is read — by every
 * command and `doctor` — not later by the scheduler or `schedule list`.
 */
export async function checkSchedules(config: Config, file: string): Promise<void> {
	if (config.schedules.length === 0) return;
	const {CronExpressionParser} = await import('cron-parser');
	config.schedules.forEach((schedule, index) => {
		try {
			CronExpressionParser.parse(schedule.cron, {tz: schedule.timezone ?? config.timezone}).next();
		} catch (error) {
			const why = (error as Error).message.split('\n')[0];
			throw new UserError('config', `${file}: field "schedules.${index}.cron": "${schedule.cron}" is not a valid cron expression: ${why}`, 'minute hour day-of-month month day-of-week, e.g. "0 2 * * *" for 02:00 daily; crontab.guru explains one');
		}
	});
}
