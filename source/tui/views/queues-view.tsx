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
import {useEffect, useMemo, useState} from 'react';
import {consoleQueueHead, QueueRowCache, queueTotals, redisLine, type QueueWorkers} from '../../present/queue-rows.js';
import {List, windowStart} from '../components/list.js';
import {emptyText} from '../components/poll-status.js';
import {StatusLine} from '../components/status-line.js';
import {confirmFlush, confirmRetryAll, togglePause} from '../queue-actions.js';
import {useUi, useViewKeys} from '../ui-context.js';
import {usePoll} from '../use-poll.js';
import {listKeys, useSelection} from '../use-selection.js';
import {useQueueSeries} from '../use-queue-series.js';
import {useTable} from '../use-table.js';

const NUMERIC = new Set([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15]);
/**
 * On a narrow terminal, what gives way first: W-CHILDREN, PRIORITIZED, THRESHOLD, COMPLETED, the
 * sparkline, SIZE, DELAYED, WORKERS, FAILED 1H, JOBS/MIN, LATENCY, then STATE. QUEUE, WAITING,
 * ACTIVE and FAILED stay: "is anything stuck?"
 */
const DROP = [6, 5, 11, 7, 14, 10, 4, 9, 15, 13, 12, 1];
/** STATE says paused or NO WORKER: cut last. */
const KEEP = new Set([1]);

/** Our registered workers per queue, and how many are paused. */
function workersByQueue(processes: ReadonlyArray<{kind: string; queues: readonly string[]; state: string}>): Map<string, QueueWorkers> {
	const byQueue = new Map<string, QueueWorkers>();
	for (const entry of processes) {
		if (entry.kind !== 'worker') continue;
		for (const queue of entry.queues) {
			const counts = byQueue.get(queue) ?? {registered: 0, paused: 0};
			counts.registered++;
			if (entry.state === 'paused') counts.paused++;
			byQueue.set(queue, counts);
		}
	}
	return byQueue;
}

export function QueuesView() {
	const ui = useUi();
	const poll = usePoll(async () => ui.api.snapshot(), ui.api.refreshMs, 'queues');
	const all = poll.data?.queues ?? [];
	const listHeight = ui.height - 2;
	const [onScreen, setOnScreen] = useState<readonly string[]>([]);
	const series = useQueueSeries(ui.api, onScreen);
	// Our workers' registry (is any of them paused?), on a slower beat than the counts.
	const registry = usePoll(async () => ui.api.workers(), Math.max(5000, ui.api.refreshMs), 'queues-registry');
	// Rows are built when what they show changes, not on every render (a key, a flash).
	// And only for the queues whose snapshot, series or workers changed.
	const [rowCache] = useState(() => new QueueRowCache());
	const rows = useMemo(() => rowCache.rows(poll.data?.queues ?? [], series, workersByQueue(registry.data?.processes ?? [])), [rowCache, poll.data, series, registry.data]);
	const table = useTable(ui, 'queues', rows, consoleQueueHead, NUMERIC, 'Filter queues:');
	const byName = new Map(all.map(queue => [queue.name, queue]));
	const selection = useSelection(table.shown.map(row => row.id), listHeight - 2, 'queues');
	// The queues the list shows (its window around the selection): their sparklines are read.
	const rowsShown = Math.max(1, listHeight - 2);
	const start = windowStart(selection.index, rowsShown, table.shown.length);
	const visible = table.shown.slice(start, start + rowsShown).map(row => row.id).join('\n');
	useEffect(() => setOnScreen(visible ? visible.split('\n') : []), [visible]);
	const selected = byName.get(table.shown[selection.index]?.id ?? '');

	useViewKeys<'queues'>({
		...listKeys(selection, poll),
		...table.keys,
		inspect: () => selected !== undefined && ui.navigate({view: 'jobs', queue: selected.name}),
		metrics: () => selected !== undefined && ui.navigate({view: 'metrics', queue: selected.name}),
		pause: () => selected !== undefined && togglePause(ui, selected.name, selected.paused, poll.refresh),
		'retry-all': () => selected !== undefined && confirmRetryAll(ui, selected.name, selected.counts.failed, poll.refresh),
		flush: () => selected !== undefined && confirmFlush(ui, selected.name, selected.counts.failed, poll.refresh),
	});

	const {filter} = table.state;
	return (
		<Box flexDirection="column">
			<StatusLine text={poll.data ? redisLine(poll.data, {address: false}) : ''} poll={poll} extra={poll.data ? `${table.facts(selection.index, all.length)}${filter || table.state.problems === 'only' ? ' (Esc clears)' : ''}` : ''} />
			<List
				{...table.list}
				totals={all.length > 1 ? queueTotals(table.shown.map(row => byName.get(row.id)!)) : undefined}
				selected={selection.index}
				height={listHeight}
				width={ui.width}
				numeric={NUMERIC}
				drop={DROP}
				keep={KEEP}
				empty={emptyText(poll, 'queues', filter ? `no queue matches "${filter}"` : table.state.problems === 'only' ? 'no queue has a problem (! shows all)' : 'no queues yet')}
			/>
		</Box>
	);
}
