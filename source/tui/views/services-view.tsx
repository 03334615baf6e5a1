/**
 * The worker and scheduler services (systemd units or the local supervisor's
 * children), every 2 s:
 *
 *   systemd · 3 services, 2 running                                     updated 12:03:04
 *     SERVICE      UNIT                              STATE    PID   SINCE       RESTARTS  …
 *   ▸ worker@high  saccos-queue-worker@high.service  running  4242  3h 12m ago         0  …
 *
 * s starts the selected service; x stops and S restarts it ("yes" first);
 * l or Enter opens its log. A failed one that has a reason (the local
 * supervisor gave it up) has it whole on the bottom line while selected:
 *
 *   worker@high failed: exited with code 2 at once (a usage or configuration error): … (at 2026-12-04 15:50:13, 3m ago) With no process backend (no systemd and no local
 * supervisor) the reason is shown and the poll keeps trying.
 */
import {Box, Text} from 'ink';
import {sanitizeLine} from '../../common/sanitize.js';
import type {ServiceAction} from '../../store/console-api.js';
import {serviceDrop, serviceHead, serviceNumeric, serviceReason, serviceTableRow, serviceKeep} from '../../present/process-rows.js';
import {List} from '../components/list.js';
import {emptyText} from '../components/poll-status.js';
import {StatusLine} from '../components/status-line.js';
import {useUi, useViewKeys} from '../ui-context.js';
import {usePoll} from '../use-poll.js';
import {listKeys, useSelection} from '../use-selection.js';
import {useTable} from '../use-table.js';

const DONE: Record<ServiceAction, string> = {start: 'started', stop: 'stopped', restart: 'restarted'};

export function ServicesView() {
	const ui = useUi();
	const poll = usePoll(async () => ui.api.services(), ui.api.refreshMs, 'services');
	const now = poll.updatedAt ?? Date.now();
	const all = poll.data ?? [];
	const table = useTable(ui, 'services', all.map(status => serviceTableRow(status, now)), serviceHead, serviceNumeric, 'Filter services:');
	const byName = new Map(all.map(status => [status.name, status]));
	const services = table.shown.map(row => byName.get(row.id)!);
	// Whether any has a reason, not whether the selected one has: the list must not change height as the selection moves.
	const reasons = services.some(service => service.reason !== null);
	const listHeight = ui.height - 1 - (reasons ? 1 : 0);
	const selection = useSelection(services.map(service => service.name), listHeight - 1, 'services');
	const selected = services[selection.index];
	const reason = selected ? serviceReason(selected, now, ui.api.timezone) : null;

	const run = (action: ServiceAction, name: string) =>
		ui.act(async () => ui.api.serviceAction(action, name), result => {
			const states = Array.isArray(result['services']) ? ` (${(result['services'] as unknown[]).map(String).join(', ')})` : '';
			return `${DONE[action]} ${name}${states}`;
		}, poll.refresh, `${action === 'stop' ? 'stopping' : action === 'start' ? 'starting' : 'restarting'} ${name}`);

	const confirmed = (verb: 'stop' | 'restart') => () => {
		if (!selected) return false;
		const {name} = selected;
		ui.confirm({summary: `${verb === 'stop' ? 'Stop' : 'Restart'} ${name}? Its running jobs get the shutdown grace period.`, expected: 'yes', onConfirm: () => run(verb, name)});
	};
	useViewKeys<'services'>({
		...listKeys(selection, poll),
		...table.keys,
		'start-service': () => selected !== undefined && run('start', selected.name),
		'stop-service': confirmed('stop'),
		'restart-service': confirmed('restart'),
		logs: () => selected !== undefined && ui.navigate({view: 'logs', service: selected.name}),
	});

	const backend = services[0]?.backend === 'local' ? 'local supervisor' : services[0] ? 'systemd' : '';
	const running = services.filter(status => status.state === 'running').length;
	const summary = poll.data ? `${backend ? `${backend} · ` : ''}${services.length} service(s), ${running} running` : ' ';
	return (
		<Box flexDirection="column">
			<StatusLine text={summary} poll={poll} />
			<List
				{...table.list}
				keep={serviceKeep}
				selected={selection.index}
				height={listHeight}
				width={ui.width}
				numeric={serviceNumeric}
				drop={serviceDrop}
				empty={emptyText(poll, 'services', 'no saccos-queue services are installed: `saccos-queue systemd install`')}
			/>
			{reasons ? <Text color={reason ? 'red' : undefined} wrap="truncate-end">{reason ? sanitizeLine(reason) : ' '}</Text> : null}
		</Box>
	);
}
