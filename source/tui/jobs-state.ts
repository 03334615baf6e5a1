/**
 * The jobs view's own state — which queue, which state, which page, the
 * marks and the filter — as one reducer, so every key's effect on it is a
 * pure step that can be read (and tested) on its own. The selected row is
 * not here: useSelection keeps it, anchored to a job's id.
 */
import {JOB_STATES, type JobState} from '../common/types.js';

export type JobsState = {
	queue: string | undefined;
	state: JobState | undefined;
	offset: number;
	marks: ReadonlySet<string>;
	filter: string;
};

export type JobsEvent =
	/** The snapshot arrived: a missing queue is the first one; a missing state is failed when the queue has failed jobs (why one opens it at 3 a.m.), else waiting. */
	| {type: 'defaults'; queues: ReadonlyArray<{name: string; failed: number}>}
	| {type: 'step-queue'; names: readonly string[]; by: 1 | -1}
	| {type: 'state'; state: JobState}
	| {type: 'page'; offset: number}
	/** Jobs went away and this page is past the end: the last page. */
	| {type: 'clamp'; total: number; limit: number}
	| {type: 'mark'; id: string}
	/** The written jobs' marks go; marks made while the write ran stay. */
	| {type: 'unmark'; ids: readonly string[]}
	/** Esc: the marks first, then the filter. */
	| {type: 'cancel'}
	| {type: 'filter'; text: string};

export const isJobState = (value: string | undefined): value is JobState => (JOB_STATES as readonly string[]).includes(value ?? '');

export function initialJobsState(route: {queue?: string; state?: string; offset?: number; filter?: string}): JobsState {
	return {queue: route.queue, state: isJobState(route.state) ? route.state : undefined, offset: route.offset ?? 0, marks: new Set(), filter: route.filter ?? ''};
}

const NO_MARKS: ReadonlySet<string> = new Set();

export function jobsReducer(current: JobsState, event: JobsEvent): JobsState {
	switch (event.type) {
		case 'defaults': {
			if (current.queue === undefined) return event.queues[0] ? {...current, queue: event.queues[0].name} : current;
			if (current.state !== undefined) return current;
			const failed = event.queues.find(candidate => candidate.name === current.queue)?.failed ?? 0;
			return {...current, state: failed > 0 ? 'failed' : 'waiting'};
		}
		case 'step-queue': {
			if (event.names.length === 0) return current;
			const at = Math.max(0, event.names.indexOf(current.queue ?? ''));
			const queue = event.names[(at + event.by + event.names.length) % event.names.length];
			return {queue, state: undefined, offset: 0, marks: NO_MARKS, filter: ''};
		}
		case 'state':
			return {...current, state: event.state, offset: 0, marks: NO_MARKS};
		case 'page':
			return current.offset === event.offset ? current : {...current, offset: event.offset};
		case 'clamp':
			if (current.offset === 0 || current.offset < event.total) return current;
			return {...current, offset: Math.max(0, Math.floor((event.total - 1) / event.limit) * event.limit)};
		case 'mark': {
			const marks = new Set(current.marks);
			if (!marks.delete(event.id)) marks.add(event.id);
			return {...current, marks};
		}
		case 'unmark':
			return {...current, marks: new Set([...current.marks].filter(id => !event.ids.includes(id)))};
		case 'cancel':
			if (current.marks.size > 0) return {...current, marks: NO_MARKS};
			return current.filter ? {...current, filter: ''} : current;
		case 'filter':
			return {...current, filter: event.text};
	}
}
