/**
 * `monitor default:100,high:50`: Laravel's queue:monitor. Size is waiting +
 * prioritized + delayed + active; a queue whose size reaches its threshold is
 * ALERT (Laravel's `size >= max`), and any ALERT makes the exit code 1 — the
 * shape Nagios and cron checks expect.
 *
 * Beyond sizes, checks that still work when every worker is down (they read
 * Redis, not the workers): `--max-wait high:30s` (the age of the job next in
 * line, from the snapshot — Horizon's "waits"), `--min-workers high:1` (jobs
 * wait and fewer live workers serve the queue) and `--max-failure-rate
 * emails:5%/15m` (from the metrics the workers recorded). Without arguments
 * or flags, the config file's "monitor" says what to check.
 */
import {listFlag, type CommandSpec, type Context} from '../command.js';
import type {Config} from '../config.js';
import {UserError} from '../errors.js';
import {readQueueMetrics} from '../data/metrics.js';
import {resolveQueues} from '../data/queues.js';
import {takeSnapshot} from '../data/snapshot.js';
import {printJson} from '../output/json.js';
import type {MonitorCheck, QueueMetrics, QueueSnapshot} from '../common/types.js';
import {formatDuration, parseDuration} from '../util/duration.js';
import {formatRate, parseRate, type RateLimit} from '../util/rate.js';

export const spec: CommandSpec = {
	name: 'monitor',
	summary: 'Size, wait, live workers and failure rate per queue against limits; exit 1 when any check fails.',
	usage: ['monitor [queue:max,…] [--max-wait Q:30s,…] [--min-workers Q:1,…] [--max-failure-rate Q:5%/15m,…] [--json]'],
	replaces: 'php artisan queue:monitor default:100,high:50,emails:100,notifications:100',
	options: {
		'max-wait': {type: 'string', multiple: true, value: 'Q:D', description: 'alert when the job next in line of Q has waited D since it became due (e.g. high:30s,default:2m)'},
		'min-workers': {type: 'string', multiple: true, value: 'Q:N', description: 'alert when jobs wait in Q and fewer than N live workers serve it (e.g. high:1)'},
		'max-failure-rate': {type: 'string', multiple: true, value: 'Q:P%/D', description: 'alert when P% or more of the jobs of Q finished in the last D failed (e.g. emails:5%/15m)'},
	},
};

/** What to check, per queue. */
export type MonitorPlan = {
	sizes: Map<string, number>;
	maxWait: Map<string, number>;
	minWorkers: Map<string, number>;
	maxFailureRate: Map<string, RateLimit>;
};

/** Parses Laravel's `name:max,name:max` syntax. */
export function parseThresholds(text: string): Array<[string, number]> {
	return parsePairs(text, 'threshold', value => (/^\d+$/.test(value) ? Number(value) : undefined), 'write queue:max pairs, e.g. `saccos-queue monitor default:100,high:50`');
}

/** `queue:value,queue:value`, each value read by `read`; a usage error (exit 2) naming the part that does not parse. */
function parsePairs<T>(text: string, what: string, read: (value: string) => T | undefined, hint: string): Array<[string, T]> {
	return text.split(',').map(part => part.trim()).filter(Boolean).map(part => {
		const match = /^([^\s:]+):(\S+)$/.exec(part);
		const value = match ? read(match[2]!) : undefined;
		if (!match || value === undefined) throw new UserError('usage', `cannot read ${what} "${part}"`, hint);
		return [match[1]!, value];
	});
}

const pairsFlag = <T>(context: Context, flag: string, read: (value: string) => T | undefined, example: string): Map<string, T> =>
	new Map((listFlag(context.flags, flag) ?? []).flatMap(text => parsePairs(text, `--${flag}`, read, `write queue:value pairs, e.g. --${flag} ${example}`)));

/** The checks the command line asks for; undefined when it asks for none (the config's apply). */
export function planFromArgs(context: Context): MonitorPlan | undefined {
	const plan: MonitorPlan = {
		sizes: new Map(context.args.flatMap(argument => parseThresholds(argument))),
		maxWait: pairsFlag(context, 'max-wait', value => {
			const ms = parseDuration(value);
			return ms !== undefined && ms > 0 ? ms : undefined;
		}, 'high:30s,default:2m'),
		minWorkers: pairsFlag(context, 'min-workers', value => (/^[1-9]\d*$/.test(value) ? Number(value) : undefined), 'high:1'),
		maxFailureRate: pairsFlag(context, 'max-failure-rate', parseRate, 'emails:5%/15m (a percent, a window from 1m to 7d)'),
	};
	return Object.values(plan).some(map => map.size > 0) ? plan : undefined;
}

/** The config file's "monitor": sizes, and the other checks of queues given as objects. */
export function planFromConfig(config: Config): MonitorPlan {
	const checks = Object.entries(config.monitorChecks);
	const pick = <T>(read: (entry: Config['monitorChecks'][string]) => T | undefined) =>
		new Map(checks.flatMap(([queue, entry]) => {
			const value = read(entry);
			return value === undefined ? [] : [[queue, value] as [string, T]];
		}));
	return {
		sizes: new Map(Object.entries(config.monitor)),
		maxWait: pick(entry => entry.maxWaitMs),
		minWorkers: pick(entry => entry.minWorkers),
		maxFailureRate: pick(entry => entry.maxFailureRate),
	};
}

export async function run(context: Context): Promise<number> {
	const plan = planFromArgs(context) ?? planFromConfig(context.config);
	const wanted = [...new Set([plan.sizes, plan.maxWait, plan.minWorkers, plan.maxFailureRate].flatMap(map => [...map.keys()]))];
	if (wanted.length === 0) {
		throw new UserError('usage', 'no thresholds given and none configured', 'e.g. `saccos-queue monitor default:100,high:50 --max-wait high:30s`, or "monitor" in the config file');
	}
	const connection = await context.connect();
	const names = await resolveQueues(connection, context.config, wanted);
	const windows = [...new Set([...plan.maxFailureRate.values()].map(limit => limit.windowMs))];
	const [snapshot, ...rates] = await Promise.all([
		takeSnapshot(connection, {...context.config, monitor: Object.fromEntries(plan.sizes), schedules: []}, names, {onlyTheseQueues: true}),
		...windows.map(async windowMs => readQueueMetrics(connection, [...plan.maxFailureRate].filter(([, limit]) => limit.windowMs === windowMs).map(([queue]) => queue), {sinceMs: windowMs})),
	]);
	const metrics = new Map(rates.flatMap((read, index) => read.queues.map(queue => [`${queue.queue}/${windows[index]}`, queue] as const)));
	const checks = snapshot.queues.flatMap(queue => checksOf(queue, plan, metrics, snapshot.warnings));
	const queues = snapshot.queues.filter(queue => plan.sizes.has(queue.name)).map(queue => ({name: queue.name, size: queue.size, threshold: plan.sizes.get(queue.name)!, ok: !queue.overThreshold}));
	const ok = checks.every(check => check.ok);
	if (context.json) {
		printJson({ok, queues, checks});
	} else {
		const [{renderTable, trusted}, {green, red}] = await Promise.all([import('../output/table.js'), import('../output/color.js')]);
		context.out(renderTable(['QUEUE', 'CHECK', 'VALUE', 'LIMIT', 'STATUS', 'DETAIL'], checks.map(check => [check.queue, check.check, shown(check, check.value), shown(check, check.limit), trusted(check.ok ? green('OK') : red('ALERT')), check.message]), {maxWidth: 80}));
	}
	return ok ? 0 : 1;
}

/** A check's value or limit as the table shows it. */
function shown(check: MonitorCheck, value: number | null): string | number {
	if (value === null) return '-';
	if (check.check === 'maxWait') return formatDuration(value);
	if (check.check === 'maxFailureRate') return `${Math.round(value * 1000) / 10}%`;
	return value;
}

/** Every check of one queue, evaluated against its snapshot and its recorded metrics. */
function checksOf(queue: QueueSnapshot, plan: MonitorPlan, metrics: ReadonlyMap<string, QueueMetrics>, warnings: readonly string[]): MonitorCheck[] {
	const name = queue.name;
	const checks: MonitorCheck[] = [];
	const threshold = plan.sizes.get(name);
	if (threshold !== undefined) {
		checks.push({queue: name, check: 'size', value: queue.size, limit: threshold, ok: !queue.overThreshold, message: `size ${queue.size} (waiting + prioritized + delayed + active) ${queue.overThreshold ? '≥' : '<'} threshold ${threshold}`});
	}
	const maxWait = plan.maxWait.get(name);
	if (maxWait !== undefined) checks.push(waitCheck(queue, maxWait, warnings));
	const minWorkers = plan.minWorkers.get(name);
	if (minWorkers !== undefined) {
		const waiting = queue.counts.waiting + queue.counts.prioritized;
		const ok = waiting === 0 || queue.workers >= minWorkers;
		const workers = `${queue.workers} live worker${queue.workers === 1 ? '' : 's'} (at least ${minWorkers})`;
		checks.push({queue: name, check: 'minWorkers', value: queue.workers, limit: minWorkers, ok, message: waiting === 0 ? `no job waiting; ${workers}` : `${waiting} job${waiting === 1 ? '' : 's'} waiting, ${workers}`});
	}
	const rate = plan.maxFailureRate.get(name);
	if (rate !== undefined) checks.push(rateCheck(name, rate, metrics.get(`${name}/${rate.windowMs}`)));
	return checks;
}

function waitCheck(queue: QueueSnapshot, limit: number, warnings: readonly string[]): MonitorCheck {
	const base = {queue: queue.name, check: 'maxWait' as const, value: queue.oldestWaitMs, limit};
	if (queue.oldestWaitMs !== null) {
		const ok = queue.oldestWaitMs < limit;
		return {...base, ok, message: `the job next in line has waited ${formatDuration(queue.oldestWaitMs)} since it was due (limit ${formatDuration(limit)})`};
	}
	const refused = warnings.find(warning => warning.includes('oldestWaitMs'));
	// A check that cannot be made is not a pass.
	if (refused) return {...base, ok: false, message: refused};
	return {...base, ok: true, message: 'no job waiting'};
}

function rateCheck(queue: string, limit: RateLimit, metrics: QueueMetrics | undefined): MonitorCheck {
	const rate = metrics?.failureRate ?? null;
	const finished = (metrics?.completed ?? 0) + (metrics?.failed ?? 0);
	const window = formatRate(limit).split('/')[1];
	const base = {queue, check: 'maxFailureRate' as const, value: rate, limit: limit.rate, windowMs: limit.windowMs};
	if (rate === null) return {...base, ok: true, message: `no job finished in the last ${window} (recorded by the workers)`};
	const ok = metrics!.failed === 0 || rate < limit.rate;
	return {...base, ok, message: `${metrics!.failed} of ${finished} jobs failed in the last ${window}: ${Math.round(rate * 1000) / 10}% (limit ${formatRate(limit).split('/')[0]})`};
}
