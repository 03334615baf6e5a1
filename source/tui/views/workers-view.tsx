/**
 * Every live process on every host (heartbeat records, every 2 s), then the
 * BullMQ workers that no heartbeat explains:
 *
 *   3 processes on 2 hosts · 1 other BullMQ worker               updated 12:03:04
 *     ID        KIND    HOST   PID  STATE    QUEUES  RUNNING  PROCESSED  …  BEAT
 *   ▸ app1-7f3  worker  app1  4242  running  high        1/4       1200  …  2s ago
 *   Other BullMQ workers (not started by saccos-queue):
 *     QUEUE  CONNECTION  ADDRESS          CONNECTED  IDLE
 *     high   bull:aGln   10.0.0.9:51234   3h 12m     0s
 *
 * p pauses or resumes the selected worker, x stops it ("yes" first); both
 * go through Redis, so any host's worker can be reached.
 */
import {Box, Text} from 'ink';
import {foreignHead, foreignRow, processDrop, processHead, processNumeric, processTableRow} from '../../present/process-rows.js';
import {List} from '../components/list.js';
import {emptyText} from '../components/poll-status.js';
import {StatusLine} from '../components/status-line.js';
import {useUi, useViewKeys} from '../ui-context.js';
import {usePoll} from '../use-poll.js';
import {listKeys, useSelection} from '../use-selection.js';
import {useTable} from '../use-table.js';
import {RowDetail, rowDetailKeys, useRowDetail} from '../components/row-detail.js';

const plural = (count: number, one: string, many: string): string => `${count} ${count === 1 ? one : many}`;

export function WorkersView() {
	const ui = useUi();
	const poll = usePoll(async () => ui.api.workers(), ui.api.refreshMs, 'workers');
	const now = poll.updatedAt ?? Date.now();
	const all = poll.data?.processes ?? [];
	const table = useTable(ui, 'workers', all.map(entry => processTableRow(entry, now)), processHead, processNumeric, 'Filter workers:');
	const byId = new Map(all.map(entry => [entry.id, entry]));
	const processes = table.shown.map(row => byId.get(row.id)!);
	const foreign = poll.data?.foreign ?? [];
	// The foreign section takes at most a third of the room; the registered processes the rest.
	const foreignHeight = foreign.length > 0 ? Math.max(2, Math.min(foreign.length + 1, Math.floor((ui.height - 1) / 3))) : 0;
	const listHeight = Math.max(2, ui.height - 1 - (foreignHeight > 0 ? foreignHeight + 1 : 0));
	const selection = useSelection(processes.map(process => process.id), listHeight - 1, 'workers');
	const selected = processes[selection.index];

	const control = (command: 'pause' | 'resume', id: string): void =>
		ui.act(async () => ui.api.controlWorker(command, id), result => `sent ${command} to ${result.count} worker(s)`, poll.refresh, `sending ${command} to ${id}`, {
			label: `${command === 'pause' ? 'resume' : 'pause'} ${id}`,
			run: () => control(command === 'pause' ? 'resume' : 'pause', id),
		});
	const rowDetail = useRowDetail();
	useViewKeys<'workers'>({
		...listKeys(selection, poll),
		...table.keys,
		...rowDetailKeys(rowDetail, table, selection.index),
		'worker-pause': () => {
			if (!selected) return false;
			if (selected.kind !== 'worker') ui.flash(`${selected.id} is the scheduler: it can be stopped, not paused`, 'error');
			else control(selected.state === 'paused' ? 'resume' : 'pause', selected.id);
		},
		'worker-stop': () => {
			if (!selected) return false;
			const {id, host, kind} = selected;
			ui.confirm({
				summary: `Stop ${kind} ${id} on ${host} (pid ${selected.pid}) once its jobs finish?${selected.unit ? ' systemd starts it again.' : ''}`,
				expected: 'yes',
				onConfirm: () => ui.act(async () => ui.api.controlWorker('stop', id), result => `sent stop to ${result.count} ${kind}(s)`, poll.refresh, `sending stop to ${id}`),
			});
		},
	});

	const hosts = new Set(processes.map(entry => entry.host)).size;
	const summary = poll.data ? `${plural(processes.length, 'process', 'processes')} on ${plural(hosts, 'host', 'hosts')} · ${plural(foreign.length, 'other BullMQ worker', 'other BullMQ workers')}` : ' ';
	if (rowDetail.detail) return <RowDetail detail={rowDetail.detail} width={ui.width} height={ui.height} />;
	return (
		<Box flexDirection="column">
			<StatusLine text={summary} poll={poll} extra={poll.data ? table.facts(selection.index, all.length) : ''} />
			<List
				{...table.list}
				selected={selection.index}
				height={listHeight}
				width={ui.width}
				numeric={processNumeric}
				drop={processDrop}
				empty={emptyText(poll, 'workers', 'no live workers: start one with `saccos-queue worker`, or from the services view')}
			/>
			{foreignHeight > 0 ? (
				<>
					<Text bold>Other BullMQ workers (not started by saccos-queue):</Text>
					<List head={foreignHead} rows={foreign.map(foreignRow)} selected={-1} height={foreignHeight} width={ui.width} />
				</>
			) : null}
		</Box>
	);
}
