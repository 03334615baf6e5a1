/** Queue events → the parts of one line (pure; the caller sanitizes and colours). */
import type {QueueEvent} from '../data/events.js';
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

/** `12:03:04  emails  failed  job 42  failedReason=SMTP 421 attemptsMade=3` as parts; long values cut at 120. */
export function eventParts(event: QueueEvent, timeZone: string): EventParts {
	const details = Object.entries(event.fields)
		.filter(([key]) => key !== 'prev')
		.map(([key, value]) => `${key}=${value.length > 120 ? `${value.slice(0, 119)}…` : value}`)
		.join(' ');
	return {time: formatTime(event.time, timeZone).slice(11), queue: event.queue, event: event.event, job: event.jobId === null ? '' : `job ${event.jobId}`, details};
}
