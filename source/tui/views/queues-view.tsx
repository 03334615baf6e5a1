/**
 * The queues, live (one pipelined snapshot every 2 s):
 *
 *   redis 7.0.15 · 1.2 MB used · noeviction · 3 ms          updated 12:03:04
 *     QUEUE          STATE   WAITING  ACTIVE  …  FAILED  WORKERS  SIZE  THRESHOLD
 *   ▸ high           active        12       2  …       3        2    14         50
 *
 * Enter opens the queue's jobs; p pauses/resumes; R and F (typed queue name
 * first) retry or delete every failed job.
 */
import {Box} from 'ink';
import {useState} from 'react';
import {queueHead, queueRow, redisLine} from '../../present/queue-rows.js';
import {List} from '../components/list.js';
import {emptyText} from '../components/poll-status.js';
import {StatusLine} from '../components/status-line.js';
import {confirmFlush, confirmRetryAll, togglePause} from '../queue-actions.js';
import {useUi, useViewKeys} from '../ui-context.js';
import {usePoll} from '../use-poll.js';
import {listKeys, useSelection} from '../use-selection.js';

const NUMERIC = new Set([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
/** On a narrow terminal: W-CHILDREN, PRIORITIZED, THRESHOLD, COMPLETED, WORKERS go first, in that order, then SIZE, DELAYED and STATE (WAITING, ACTIVE and FAILED stay). */
const DROP = [6, 5, 11, 7, 9, 10, 4, 1];

export function QueuesView() {
	const ui = useUi();
	const poll = usePoll(async () => ui.api.snapshot(), ui.api.refreshMs, 'queues');
	const [filter, setFilter] = useState('');
	const queues = (poll.data?.queues ?? []).filter(queue => queue.name.includes(filter));
	const listHeight = ui.height - 2;
	const selection = useSelection(queues.map(queue => queue.name), listHeight - 1, 'queues');
	const selected = queues[selection.index];

	useViewKeys<'queues'>({
		...listKeys(selection, poll),
		cancel: () => {
			if (!filter) return false;
			setFilter('');
		},
		filter: () => ui.prompt({title: 'Filter queues:', initial: filter, onSubmit: setFilter}),
		inspect: () => selected !== undefined && ui.navigate({view: 'jobs', queue: selected.name}),
		pause: () => selected !== undefined && togglePause(ui, selected.name, selected.paused, poll.refresh),
		'retry-all': () => selected !== undefined && confirmRetryAll(ui, selected.name, selected.counts.failed, poll.refresh),
		flush: () => selected !== undefined && confirmFlush(ui, selected.name, selected.counts.failed, poll.refresh),
	});

	const rows = queues.map(queue => queueRow(queue).map(cell => String(cell)));
	return (
		<Box flexDirection="column">
			<StatusLine text={poll.data ? redisLine(poll.data, {address: false}) : ''} poll={poll} extra={filter ? `filter "${filter}" (Esc clears)` : ''} />
			<List head={queueHead} rows={rows} selected={selection.index} height={listHeight} width={ui.width} numeric={NUMERIC} drop={DROP} empty={emptyText(poll, 'queues', filter ? `no queue matches "${filter}"` : 'no queues yet')} />
		</Box>
	);
}
