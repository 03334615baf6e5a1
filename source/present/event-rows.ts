/** Queue events → the parts of one line (pure; the caller sanitizes and colours). */
import type {QueueEvent} from '../data/events.js';
import {formatDuration} from '../util/duration.js';
import {formatTime} from './format.js';

export type EventParts = {time: string; queue: string; event: string; job: string; details: string};

/** What an event's colour means: trouble, success, waiting, or anything else. */
export type EventTone = 'bad' | 'good' | 'wait' | 'other';

export function eventTone(event: string): EventTone {
	if (event === 'failed' || event === 'stalled' || event === 'retries-exhausted') return 'bad';
	if (event === 'completed') return 'good';
	if (event === 'delayed' || event === 'paused') return 'wait';
	return 'other';
}

/** Events every job brings, which bury the ones that say something (the events view's n hides them). */
export const NOISY_EVENTS: ReadonlySet<string> = new Set(['waiting', 'active', 'drained']);

/** A value above this is an epoch-ms time, below it a duration (BullMQ < 5 wrote the delay itself). */
const EPOCH_FLOOR_MS = 100_000_000_000;

/**
 * A delayed event's `delay` as people read it: BullMQ writes when the job
 * runs (epoch ms), so `delay=1796393925656` becomes `runs in 2m 10s, at
 * 14:03:05` (counted from the event; the date too when it is another day).
 * Anything that is not a number stays as written.
 */
export function delayText(delay: string, eventTime: number, timeZone: string): string | undefined {
	const value = Number(delay);
	if (delay.trim() === '' || !Number.isFinite(value) || value < 0) return undefined;
	const at = value >= EPOCH_FLOOR_MS ? value : eventTime + value;
	const when = formatTime(at, timeZone);
	const sameDay = when.slice(0, 10) === formatTime(eventTime, timeZone).slice(0, 10);
	return `runs in ${formatDuration(Math.max(0, at - eventTime))}, at ${sameDay ? when.slice(11) : when}`;
}

const cut = (value: string): string => (value.length > 120 ? `${value.slice(0, 119)}…` : value);

/** `12:03:04  emails  failed  job 42  failedReason=SMTP 421 attemptsMade=3` as parts; long values cut at 120. */
export function eventParts(event: QueueEvent, timeZone: string): EventParts {
	const details = Object.entries(event.fields)
		.filter(([key]) => key !== 'prev')
		.map(([key, value]) => (key === 'delay' ? delayText(value, event.time, timeZone) : undefined) ?? `${key}=${cut(value)}`)
		.join(' ');
	return {time: formatTime(event.time, timeZone).slice(11), queue: event.queue, event: event.event, job: event.jobId === null ? '' : `job ${event.jobId}`, details};
}
