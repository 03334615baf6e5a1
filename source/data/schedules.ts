/**
 * Schedules, read side: each configured schedule (and each Job Scheduler we
 * own that is no longer configured) with its next run from Redis, its last
 * run and outcome, and the runs it missed — expected fire times in the last
 * day with no job. BullMQ names a scheduler's jobs `repeat:<id>:<fire time>`,
 * so a fire time is checked with one EXISTS, all in one pipeline.
 */
import {CronExpressionParser} from 'cron-parser';
import type {Config, ScheduleConfig} from '../config.js';
import {toUserError, type Connection} from './connection.js';
import {jobKey, ownedSchedulesKey, queueKey, stateKey} from './keys.js';

/** How far back missed runs are looked for. */
export const MISSED_WINDOW_MS = 24 * 3_600_000;
/** A fire time younger than this is not "missed" yet (the scheduler may be adding it now). */
const GRACE_MS = 60_000;
/** At most this many fire times are checked per schedule (an every-minute cron: one day). */
const MAX_FIRES = 1440;

export type ScheduleRun = {time: number; jobId: string; state: 'completed' | 'failed' | 'active' | 'waiting' | 'delayed' | 'prioritized' | 'unknown'};

export type ScheduleStatus = {
	id: string;
	queue: string;
	name: string;
	cron: string | null;
	timezone: string;
	configured: boolean;
	/** Whether the BullMQ Job Scheduler exists in Redis (the scheduler process keeps it there). */
	inRedis: boolean;
	/** The next run the scheduler has put in Redis (null when it has not, e.g. not running yet). */
	nextRun: number | null;
	/** The next fire time of the cron, computed here: when it should run, whatever Redis holds. */
	expectedNextRun: number | null;
	lastRun: ScheduleRun | null;
	/** Fire times in the last day (since the schedule was created) with no job. */
	missed: number[];
	iterations: number | null;
};

/** Fire times of `cron` in (from, to], oldest first, at most `limit`. */
export function fireTimes(cron: string, timezone: string, from: number, to: number, limit = MAX_FIRES): number[] {
	const times: number[] = [];
	const expression = CronExpressionParser.parse(cron, {currentDate: new Date(from), tz: timezone});
	while (times.length < limit) {
		const next = expression.next().getTime();
		if (next > to) break;
		times.push(next);
	}
	return times;
}

const ownedMember = (queue: string, id: string): string => `${queue}/${id}`;

/** Reads every schedule's status: two round trips whatever the number of schedules. */
export async function listSchedules(connection: Connection, config: Config, now = Date.now()): Promise<ScheduleStatus[]> {
	const {client, prefix} = connection;
	try {
		const owned = await client.hgetall(ownedSchedulesKey(prefix));
		const configured = new Set(config.schedules.map(schedule => ownedMember(schedule.queue, schedule.id)));
		const stale: ScheduleConfig[] = Object.keys(owned)
			.filter(member => !configured.has(member))
			.map(member => {
				const [queue, ...rest] = member.split('/');
				const id = rest.join('/');
				return {id, queue: queue!, cron: '', name: id};
			});
		const all = [...config.schedules, ...stale];
		const plans = all.map(schedule => {
			const timezone = schedule.timezone ?? config.timezone;
			const created = Number(owned[ownedMember(schedule.queue, schedule.id)] ?? 0);
			const from = Math.max(now - MISSED_WINDOW_MS, created);
			const times = schedule.cron && created > 0 ? fireTimes(schedule.cron, timezone, from, now) : [];
			return {schedule, timezone, times};
		});
		const pipeline = client.pipeline();
		for (const {schedule, times} of plans) {
			pipeline.zscore(queueKey(prefix, schedule.queue, 'repeat'), schedule.id);
			pipeline.hget(queueKey(prefix, schedule.queue, `repeat:${schedule.id}`), 'ic');
			for (const time of times) pipeline.exists(jobKey(prefix, schedule.queue, `repeat:${schedule.id}:${time}`));
		}
		const replies = ((await pipeline.exec()) ?? []).map(([error, value]) => (error ? null : value));
		let index = 0;
		const results: ScheduleStatus[] = [];
		const lastRuns: Array<{position: number; queue: string; jobId: string; time: number}> = [];
		for (const {schedule, timezone, times} of plans) {
			const score = replies[index++];
			const iterations = replies[index++];
			const present = times.map(() => Number(replies[index++]) === 1);
			const missed = times.filter((time, position) => !present[position] && time < now - GRACE_MS);
			const lastIndex = present.lastIndexOf(true);
			if (lastIndex >= 0) lastRuns.push({position: results.length, queue: schedule.queue, jobId: `repeat:${schedule.id}:${times[lastIndex]}`, time: times[lastIndex]!});
			const isConfigured = schedule.cron !== '';
			results.push({
				id: schedule.id,
				queue: schedule.queue,
				name: schedule.name,
				cron: isConfigured ? schedule.cron : null,
				timezone,
				configured: isConfigured,
				inRedis: score !== null,
				nextRun: score === null ? null : Number(score),
				expectedNextRun: isConfigured ? (fireTimes(schedule.cron, timezone, now, now + 400 * 86_400_000, 1)[0] ?? null) : null,
				lastRun: null,
				missed,
				iterations: iterations === null ? null : Number(iterations),
			});
		}
		if (lastRuns.length > 0) {
			const states = client.pipeline();
			for (const run of lastRuns) {
				states.zscore(stateKey(prefix, run.queue, 'completed'), run.jobId);
				states.zscore(stateKey(prefix, run.queue, 'failed'), run.jobId);
				states.lpos(stateKey(prefix, run.queue, 'active'), run.jobId);
				states.zscore(stateKey(prefix, run.queue, 'delayed'), run.jobId);
			}
			const answers = ((await states.exec()) ?? []).map(([error, value]) => (error ? null : value));
			lastRuns.forEach((run, position) => {
				const [completed, failed, active, delayed] = answers.slice(position * 4, position * 4 + 4);
				const state: ScheduleRun['state'] = completed !== null ? 'completed' : failed !== null ? 'failed' : active !== null ? 'active' : delayed !== null ? 'delayed' : 'waiting';
				results[run.position]!.lastRun = {time: run.time, jobId: run.jobId, state};
			});
		}
		return results;
	} catch (error) {
		throw toUserError(error, connection.where);
	}
}
