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
import {useEffect, useReducer} from 'react';
import {sanitizeLine} from '../../common/sanitize.js';
import {JOB_STATES, type JobState, type JobSummary, type QueueSnapshot} from '../../common/types.js';
import {formatCount, jobTable, matchesJob, pageInfo, removeOutcome, retryOutcome} from '../../present/job-rows.js';
import {JobsHeader} from '../components/jobs-header.js';
import {List} from '../components/list.js';
import {emptyText, PollStatus} from '../components/poll-status.js';
import {initialJobsState, jobsReducer, type JobsEvent, type JobsState} from '../jobs-state.js';
import {confirmFlush, confirmRetryAll, togglePause} from '../queue-actions.js';
import {useUi, useViewKeys, type Route, type Ui} from '../ui-context.js';
import {usePoll} from '../use-poll.js';
import {moveKeys, useSelection} from '../use-selection.js';

export function JobsView({route}: {route: Extract<Route, {view: 'jobs'}>}) {
	const ui = useUi();
	const {api} = ui;
	const snapshot = usePoll(async () => api.snapshot(), ui.api.refreshMs, 'jobs-snapshot');
	const [current, dispatch] = useReducer(jobsReducer, route, initialJobsState);
	const {queue, state, offset, marks, filter} = current;
	const info = snapshot.data?.queues.find(candidate => candidate.name === queue);
	useEffect(() => {
		if (snapshot.data) dispatch({type: 'defaults', queues: snapshot.data.queues.map(entry => ({name: entry.name, failed: entry.counts.failed}))});
	}, [snapshot.data, queue, state]);

	const listHeight = Math.max(2, ui.height - 2);
	const limit = Math.min(1000, listHeight - 1);
	const poll = usePoll(async () => (queue !== undefined && state !== undefined ? api.jobs(queue, state, limit, offset) : undefined), ui.api.refreshMs, JSON.stringify([queue, state, limit, offset]));
	// Right after a switch the poll still holds the previous page for a render: never label it with the new state.
	const page = poll.data && poll.data.queue === queue && poll.data.state === state && poll.data.offset === offset && poll.data.limit === limit ? poll.data : undefined;
	const loaded = page?.jobs ?? [];
	const jobs = filter ? loaded.filter(job => matchesJob(job, filter)) : loaded;
	const selection = useSelection(jobs.map(job => job.id), limit, `jobs:${queue ?? ''}:${state ?? ''}:${offset}`);
	// Back from a job (or its logs) returns to this queue, state, page and filter.
	useEffect(() => {
		if (queue !== undefined && state !== undefined) ui.replace({view: 'jobs', queue, state, offset, ...(filter ? {filter} : {})});
		// eslint-disable-next-line react-hooks/exhaustive-deps -- ui.replace is stable in effect: it only records the route
	}, [queue, state, offset, filter]);
	const total = page?.total ?? 0;

	// Jobs went away (retried, deleted) and this page is past the end: show the last one.
	useEffect(() => {
		if (page && page.offset === offset) dispatch({type: 'clamp', total: page.total, limit});
	}, [page, offset, limit]);

	const refreshAll = async () => Promise.all([poll.refresh(), snapshot.refresh()]);
	useJobsKeys({ui, current, dispatch, selection, jobs, total, limit, info, refreshAll, queueNames: () => snapshot.data?.queues.map(candidate => candidate.name) ?? []});

	if (queue === undefined) {
		return snapshot.data ? <Text dimColor>no queues yet</Text> : <PollStatus {...snapshot} />;
	}
	const table = jobTable(state ?? 'waiting', jobs);
	// The open state's count is the page's total: the tab and "1–23 of N" must not disagree because they were read 1 s apart.
	const shownInfo = info && page && state ? {...info, counts: {...info.counts, [state]: page.total}} : info;
	const marked = new Set(jobs.flatMap((job, index) => (marks.has(job.id) ? [index] : [])));
	const status = [
		state && page ? pageInfo(state, page.offset, loaded.length, total) : '',
		filter ? `filter "${filter}": ${jobs.length} of this page (Esc clears)` : '',
		marks.size > 0 ? `${formatCount(marks.size)} marked (Esc clears)` : '',
	].filter(Boolean);
	const empty = emptyText({data: page, error: poll.error}, 'jobs', filter ? `no job on this page matches "${filter}"` : `no ${page?.state ?? state ?? ''} jobs in ${queue}`);
	return (
		<Box flexDirection="column">
			<JobsHeader queue={queue} info={shownInfo} state={state} width={ui.width} status={status.join(' · ')} poll={state ? poll : snapshot} />
			<List head={table.head} rows={table.rows} selected={selection.index} height={listHeight} width={ui.width} marked={marked} numeric={table.numeric} empty={sanitizeLine(empty)} />
		</Box>
	);
}

type JobsKeysContext = {
	ui: Ui;
	current: JobsState;
	dispatch: (event: JobsEvent) => void;
	selection: ReturnType<typeof useSelection>;
	/** The rows shown (after the filter). */
	jobs: readonly JobSummary[];
	total: number;
	limit: number;
	info: QueueSnapshot | undefined;
	refreshAll: () => Promise<unknown>;
	queueNames: () => string[];
};

/** The jobs view's keys: paging past a page's edges, states, queues, marks and the actions on them. */
function useJobsKeys({ui, current, dispatch, selection, jobs, total, limit, info, refreshAll, queueNames}: JobsKeysContext): void {
	const {api} = ui;
	const {queue, state, offset, marks, filter} = current;
	const selected = jobs[selection.index];
	const turn = (next: number, index: number) => {
		dispatch({type: 'page', offset: next});
		selection.set(index);
	};
	const afterWrite = (written: readonly string[]) => async () => {
		dispatch({type: 'unmark', ids: written});
		return refreshAll();
	};
	const atEnd = () => selection.index >= jobs.length - 1 && offset + limit < total;
	const atStart = () => selection.index === 0 && offset > 0;
	const ids = marks.size > 0 ? [...marks] : selected ? [selected.id] : [];
	const stateKey = (index: number) => () => {
		dispatch({type: 'state', state: JOB_STATES[index]!});
		selection.set(0);
	};
	const stepQueue = (by: 1 | -1) => () => {
		dispatch({type: 'step-queue', names: queueNames(), by});
		selection.set(0);
	};
	const whenLoaded = (run: (queue: string, state: JobState) => boolean | void) => () => (queue === undefined || state === undefined ? false : run(queue, state));

	useViewKeys<'jobs'>({
		...moveKeys(selection),
		down: () => (atEnd() ? turn(offset + limit, 0) : selection.move('down')),
		'page-down': () => (atEnd() ? turn(offset + limit, 0) : selection.move('page-down')),
		up: () => (atStart() ? turn(Math.max(0, offset - limit), limit - 1) : selection.move('up')),
		'page-up': () => (atStart() ? turn(Math.max(0, offset - limit), 0) : selection.move('page-up')),
		refresh: () => {
			void refreshAll();
		},
		cancel: () => {
			if (marks.size === 0 && !filter) return false;
			dispatch({type: 'cancel'});
		},
		filter: () => ui.prompt({title: 'Filter this page by id, name, error or data:', initial: filter, onSubmit: text => dispatch({type: 'filter', text}), onChange: text => dispatch({type: 'filter', text})}),
		'previous-queue': stepQueue(-1),
		'next-queue': stepQueue(1),
		'state-1': stateKey(0),
		'state-2': stateKey(1),
		'state-3': stateKey(2),
		'state-4': stateKey(3),
		'state-5': stateKey(4),
		'state-6': stateKey(5),
		'state-7': stateKey(6),
		'retry-all': whenLoaded(name => confirmRetryAll(ui, name, info?.counts.failed, afterWrite([...marks]))),
		flush: whenLoaded(name => confirmFlush(ui, name, info?.counts.failed, afterWrite([...marks]))),
		pause: whenLoaded(name => (info ? togglePause(ui, name, info.paused, refreshAll) : ui.flash(`the state of "${name}" is not loaded yet; try again in a moment`, 'error'))),
		metrics: whenLoaded(name => ui.navigate({view: 'metrics', queue: name})),
		inspect: whenLoaded(name => (selected ? ui.navigate({view: 'job', queue: name, id: selected.id}) : false)),
		logs: whenLoaded(name => (selected ? ui.navigate({view: 'logs', job: {queue: name, id: selected.id}}) : false)),
		mark: () => (selected ? dispatch({type: 'mark', id: selected.id}) : false),
		retry: whenLoaded((name, shown) => {
			if (shown !== 'failed') ui.flash(`only failed jobs can be retried, and these are ${shown} (7 shows the failed ones)`, 'error');
			else if (ids.length > 0) ui.act(async () => api.retry(name, ids), result => retryOutcome(result, name), afterWrite(ids), `retrying ${ids.length} job(s) of ${name}`);
		}),
		delete: whenLoaded((name, shown) => {
			if (ids.length === 0) return;
			const what = ids.length === 1 ? `${shown} job ${ids[0]!}` : `the ${formatCount(ids.length)} marked ${shown} jobs`;
			ui.confirm({summary: `Delete ${what} of "${name}"?`, expected: name, onConfirm: () => ui.act(async () => api.remove(name, ids), result => removeOutcome(result, name, shown), afterWrite(ids), `deleting ${ids.length} job(s) of ${name}`)});
		}),
	});
}
