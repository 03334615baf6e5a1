/**
 * The jobs of one queue in one state, one page at a time (polled every 2 s):
 *
 *   emails  PAUSED   1 waiting 12   2 active 0   3 delayed 0  …  7 failed 3
 *   1–23 of 1,234 failed · 2 marked (Esc clears)                updated 12:03:04
 *     ID    NAME          ATTEMPTS  FAILED      REASON
 *   ▸ 1234  send-welcome         3  2m 10s ago  SMTP 421 try again later
 *   ● 1233  send-welcome         3  3m 02s ago  SMTP 421 try again later
 *
 * The queue is the route's, else the first known one. The state is the
 * route's, else failed when the queue has failed jobs (why one opens it at
 * 3 a.m.), else waiting; 1-7 switch it. A page is as tall as the screen and
 * only one is loaded: PgDn (or ↓) on the last row loads the next, PgUp (or ↑)
 * on the first the previous. Space marks; r and D act on the marked jobs, or
 * the selected one; R and F act on the whole queue, after its name is typed.
 */
import {Box, Text} from 'ink';
import {useEffect, useState} from 'react';
import {sanitizeLine} from '../../shared/sanitize.js';
import {JOB_STATES, type JobState} from '../../shared/types.js';
import {formatCount, jobTable, matchesJob, pageInfo, removeOutcome, retryOutcome} from '../../present/job-rows.js';
import {JobsHeader} from '../components/jobs-header.js';
import {List} from '../components/list.js';
import {emptyText, PollStatus} from '../components/poll-status.js';
import {confirmFlush, confirmRetryAll} from '../queue-actions.js';
import {useActions, useUi, type Route} from '../ui-context.js';
import {usePoll} from '../use-poll.js';
import {useSelection} from '../use-selection.js';

const toggle = (marks: ReadonlySet<string>, id: string): Set<string> => {
	const next = new Set(marks);
	if (!next.delete(id)) next.add(id);
	return next;
};

const isState = (value: string | undefined): value is JobState => (JOB_STATES as readonly string[]).includes(value ?? '');

export function JobsView({route}: {route: Extract<Route, {view: 'jobs'}>}) {
	const ui = useUi();
	const {api} = ui;
	const snapshot = usePoll(async () => api.snapshot(), 2000, 'jobs-snapshot');
	const [queue, setQueue] = useState(route.queue);
	const [state, setState] = useState<JobState | undefined>(isState(route.state) ? route.state : undefined);
	const info = snapshot.data?.queues.find(candidate => candidate.name === queue);
	useEffect(() => {
		const queues = snapshot.data?.queues;
		if (!queues) return;
		if (queue === undefined) setQueue(queues[0]?.name);
		else if (state === undefined) setState((queues.find(candidate => candidate.name === queue)?.counts.failed ?? 0) > 0 ? 'failed' : 'waiting');
	}, [snapshot.data, queue, state]);

	const [offset, setOffset] = useState(route.offset ?? 0);
	const [marks, setMarks] = useState<ReadonlySet<string>>(new Set());
	const [filter, setFilter] = useState('');
	const listHeight = Math.max(2, ui.height - 2);
	const limit = Math.min(1000, listHeight - 1);
	const poll = usePoll(async () => (queue !== undefined && state !== undefined ? api.jobs(queue, state, limit, offset) : undefined), 2000, JSON.stringify([queue, state, limit, offset]));
	// Right after a switch the poll still holds the previous page for a render: never label it with the new state.
	const page = poll.data && poll.data.queue === queue && poll.data.state === state && poll.data.offset === offset && poll.data.limit === limit ? poll.data : undefined;
	const loaded = page?.jobs ?? [];
	const jobs = filter ? loaded.filter(job => matchesJob(job, filter)) : loaded;
	const selection = useSelection(jobs.map(job => job.id), limit, `jobs:${queue ?? ''}:${state ?? ''}:${offset}`);
	// Back from a job (or its logs) returns to this queue, state and page.
	useEffect(() => {
		if (queue !== undefined && state !== undefined) ui.replace({view: 'jobs', queue, state, offset});
		// eslint-disable-next-line react-hooks/exhaustive-deps
	}, [queue, state, offset]);
	const selected = jobs[selection.index];
	const total = page?.total ?? 0;

	// Jobs went away (retried, deleted) and this page is past the end: show the last one.
	useEffect(() => {
		if (page && page.offset === offset && offset > 0 && offset >= page.total) setOffset(Math.max(0, Math.floor((page.total - 1) / limit) * limit));
	}, [page, offset, limit]);

	const turn = (next: number, index: number) => {
		setOffset(next);
		selection.set(index);
	};
	const refreshAll = async () => Promise.all([poll.refresh(), snapshot.refresh()]);
	// The written jobs' marks go; marks made while the write ran stay.
	const afterWrite = (written: readonly string[]) => async () => {
		setMarks(current => new Set([...current].filter(id => !written.includes(id))));
		return refreshAll();
	};

	useActions(action => {
		const atEnd = selection.index >= jobs.length - 1 && offset + limit < total;
		if ((action === 'down' || action === 'page-down') && atEnd) turn(offset + limit, 0);
		else if ((action === 'up' || action === 'page-up') && selection.index === 0 && offset > 0) turn(Math.max(0, offset - limit), action === 'up' ? limit - 1 : 0);
		else if (selection.move(action)) return true;
		if (['up', 'down', 'page-up', 'page-down'].includes(action)) return true;
		if (action === 'refresh') {
			void refreshAll();
			return true;
		}
		if (action === 'cancel' && (marks.size > 0 || filter)) {
			if (marks.size > 0) setMarks(new Set());
			else setFilter('');
			return true;
		}
		if (action === 'filter') {
			ui.prompt({title: 'Filter this page by id, name or error:', initial: filter, onSubmit: setFilter});
			return true;
		}
		if (action === 'previous-queue' || action === 'next-queue') {
			const names = snapshot.data?.queues.map(candidate => candidate.name) ?? [];
			if (names.length === 0) return true;
			const at = Math.max(0, names.indexOf(queue ?? ''));
			setQueue(names[(at + (action === 'next-queue' ? 1 : names.length - 1)) % names.length]);
			setState(undefined);
			setMarks(new Set());
			setFilter('');
			turn(0, 0);
			return true;
		}
		if (action.startsWith('state-')) {
			setState(JOB_STATES[Number(action.slice(6)) - 1]);
			setMarks(new Set());
			turn(0, 0);
			return true;
		}
		if (queue === undefined || state === undefined) return false;
		const ids = marks.size > 0 ? [...marks] : selected ? [selected.id] : [];
		switch (action) {
			case 'retry-all':
				confirmRetryAll(ui, queue, info?.counts.failed, afterWrite([...marks]));
				return true;
			case 'flush':
				confirmFlush(ui, queue, info?.counts.failed, afterWrite([...marks]));
				return true;
			case 'pause':
				if (!info) ui.flash(`the state of "${queue}" is not loaded yet; try again in a moment`, 'error');
				else ui.act(async () => api.setPaused(queue, !info.paused), () => `${info.paused ? 'resumed' : 'paused'} ${queue}`, refreshAll, `${info.paused ? 'resuming' : 'pausing'} ${queue}`);
				return true;
			case 'inspect':
				if (selected) ui.navigate({view: 'job', queue, id: selected.id});
				return true;
			case 'logs':
				if (selected) ui.navigate({view: 'logs', job: {queue, id: selected.id}});
				return true;
			case 'mark':
				if (selected) setMarks(toggle(marks, selected.id));
				return true;
			case 'retry':
				if (state !== 'failed') ui.flash(`only failed jobs can be retried, and these are ${state} (7 shows the failed ones)`, 'error');
				else if (ids.length > 0) ui.act(async () => api.retry(queue, ids), result => retryOutcome(result, queue), afterWrite(ids), `retrying ${ids.length} job(s) of ${queue}`);
				return true;
			case 'delete': {
				if (ids.length === 0) return true;
				const what = ids.length === 1 ? `${state} job ${ids[0]!}` : `the ${formatCount(ids.length)} marked ${state} jobs`;
				ui.confirm({summary: `Delete ${what} of "${queue}"?`, expected: queue, onConfirm: () => ui.act(async () => api.remove(queue, ids), result => removeOutcome(result, queue, state), afterWrite(ids), `deleting ${ids.length} job(s) of ${queue}`)});
				return true;
			}
			default:
				return false;
		}
	});

	if (queue === undefined) {
		return snapshot.data ? <Text dimColor>no queues yet</Text> : <PollStatus {...snapshot} />;
	}
	const table = jobTable(state ?? 'waiting', jobs);
	const marked = new Set(jobs.flatMap((job, index) => (marks.has(job.id) ? [index] : [])));
	const status = [
		state && page ? pageInfo(state, page.offset, loaded.length, total) : '',
		filter ? `filter "${filter}": ${jobs.length} of this page (Esc clears)` : '',
		marks.size > 0 ? `${formatCount(marks.size)} marked (Esc clears)` : '',
	].filter(Boolean);
	const empty = emptyText({data: page, error: poll.error}, 'jobs', filter ? `no job on this page matches "${filter}"` : `no ${page?.state ?? state ?? ''} jobs in ${queue}`);
	return (
		<Box flexDirection="column">
			<JobsHeader queue={queue} info={info} state={state} width={ui.width} status={status.join(' · ')} poll={state ? poll : snapshot} />
			<List head={table.head} rows={table.rows} selected={selection.index} height={listHeight} width={ui.width} marked={marked} numeric={table.numeric} empty={sanitizeLine(empty)} />
		</Box>
	);
}
