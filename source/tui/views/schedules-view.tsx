/**
 * The schedules (every 5 s): next run, last run and its outcome, missed runs:
 *
 *   4 schedule(s) · times in Africa/Nairobi · 1 missed run(s) in 24 h  updated 12:03:04
 *     SCHEDULE      QUEUE   CRON        TIME ZONE       NEXT RUN                        …  MISSED (24h)
 *   ▸ nightly-dues  high    0 2 * * *   Africa/Nairobi  2026-11-29 02:00:00 (in 13h 56m)  …             0
 *
 * t enqueues one run of the selected schedule now (no confirmation: it is
 * what the schedule does anyway).
 */
import {Box} from 'ink';
import {scheduleDrop, scheduleHead, scheduleNumeric, scheduleTableRow} from '../../present/process-rows.js';
import {List} from '../components/list.js';
import {emptyText} from '../components/poll-status.js';
import {StatusLine} from '../components/status-line.js';
import {useUi, useViewKeys} from '../ui-context.js';
import {usePoll} from '../use-poll.js';
import {listKeys, useSelection} from '../use-selection.js';
import {useTable} from '../use-table.js';
import {RowDetail, rowDetailKeys, useRowDetail} from '../components/row-detail.js';

export function SchedulesView() {
	const ui = useUi();
	const poll = usePoll(async () => ui.api.schedules(), Math.max(5000, ui.api.refreshMs), 'schedules');
	const all = poll.data ?? [];
	const table = useTable(ui, 'schedules', all.map(status => scheduleTableRow(status, poll.updatedAt ?? Date.now())), scheduleHead, scheduleNumeric, 'Filter schedules:');
	const byId = new Map(all.map(status => [status.id, status]));
	const schedules = table.shown.map(row => byId.get(row.id)!);
	const listHeight = ui.height - 1;
	const selection = useSelection(schedules.map(schedule => schedule.id), listHeight - 1, 'schedules');
	const selected = schedules[selection.index];

	const rowDetail = useRowDetail();
	useViewKeys<'schedules'>({
		...listKeys(selection, poll),
		...table.keys,
		...rowDetailKeys(rowDetail, table, selection.index),
		'run-schedule': () => {
			if (!selected) return false;
			const {id, queue} = selected;
			if (!selected.configured) ui.flash(`${id} is no longer configured: nothing to run (the scheduler removes it at its next sync)`, 'error');
			else ui.act(async () => ui.api.runSchedule(id), result => `ran ${id} now: job ${String(result['jobId'] ?? '-')} on ${queue}`, poll.refresh, `running ${id}`);
		},
	});

	const missed = all.reduce((sum, status) => sum + status.missed.length, 0);
	const absent = all.filter(status => status.configured && !status.inRedis).length;
	// One zone for all (the usual case): named here, so the times read right when the TIME ZONE column is left out.
	const zones = new Set(all.map(status => status.timezone));
	const summary = poll.data
		? `${table.facts(selection.index, all.length)} schedule(s)${zones.size === 1 ? ` · times in ${[...zones][0]!}` : ''} · ${missed} missed run(s) in 24 h${absent > 0 ? ` · ${absent} not in Redis: is the scheduler running?` : ''}`
		: ' ';
	if (rowDetail.detail) return <RowDetail detail={rowDetail.detail} width={ui.width} height={ui.height} />;
	return (
		<Box flexDirection="column">
			<StatusLine text={summary} poll={poll} {...(missed > 0 || absent > 0 ? {color: 'yellow'} : {})} />
			<List
				{...table.list}
				selected={selection.index}
				height={listHeight}
				width={ui.width}
				numeric={scheduleNumeric}
				drop={scheduleDrop}
				empty={emptyText(poll, 'schedules', 'no schedules configured')}
			/>
		</Box>
	);
}
