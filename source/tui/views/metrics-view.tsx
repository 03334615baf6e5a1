/**
 * One queue's recorded metrics (the workers write them: docs/ARCHITECTURE.md), read every 15 s:
 *
 *   emails · last hour: 1,204 completed, 3 failed (0.2%) · 20/min now · runtime p50 …  updated 12:03:04
 *   ▁▂▃▅▇█▇▅▃▂ …                         jobs per minute, last 60 min (highest 31/min; 3 failed)
 *     JOB NAME     COUNT  FAILED  RETRIED  TOTAL TIME  AVG    P95    WAIT P95  JOBS/MIN
 *   ▸ email.send    1180       3        9      41m 2s  2.1s   4.8s       1.2s        19
 *   runtime of email.send
 *        1s–1.4s     212 ██████
 *
 * t changes the window (1 h, 24 h, 7 d); o/O sort the names; Enter opens the queue's jobs.
 */
import {Box, Text} from 'ink';
import {useState} from 'react';
import {sparkline} from '../../present/chart.js';
import {histogramLines, metricsDrop, metricsHead, metricsNumeric, metricsRow, metricsSummaryLine, seriesCaption} from '../../present/metrics-rows.js';
import {sanitizeLine} from '../../common/sanitize.js';
import {List} from '../components/list.js';
import {emptyText} from '../components/poll-status.js';
import {StatusLine} from '../components/status-line.js';
import {useUi, useViewKeys, type Route} from '../ui-context.js';
import {usePoll} from '../use-poll.js';
import {listKeys, useSelection} from '../use-selection.js';
import {useTable} from '../use-table.js';

const WINDOWS = [{label: 'hour', ms: 3_600_000}, {label: '24 hours', ms: 86_400_000}, {label: '7 days', ms: 7 * 86_400_000}] as const;
const EVERY_MS = 15_000;

export function MetricsView({route}: {route: Extract<Route, {view: 'metrics'}>}) {
	const ui = useUi();
	const {queue} = route;
	const [windowIndex, setWindowIndex] = useState(0);
	const window = WINDOWS[windowIndex]!;
	// The window travels with its data: the line never names a window the numbers are not of.
	const poll = usePoll(async () => ({...(await ui.api.queueMetrics(queue, window.ms)), window: window.label}), Math.max(EVERY_MS, ui.api.refreshMs), `${queue}:${window.ms}`);
	const names = poll.data?.metrics?.names ?? [];
	const table = useTable(ui, 'metrics', names.map(metricsRow), metricsHead, metricsNumeric, 'Filter job names:');
	const histogramRoom = Math.min(10, Math.max(3, Math.floor(ui.height / 3)));
	const listHeight = Math.max(3, ui.height - 3 - histogramRoom);
	const selection = useSelection(table.shown.map(row => row.id), listHeight - 1, `metrics:${queue}`);
	const selected = names.find(name => name.name === table.shown[selection.index]?.id);

	useViewKeys<'metrics'>({
		...listKeys(selection, poll),
		sort: table.keys.sort,
		'reverse-sort': table.keys['reverse-sort'],
		window: () => setWindowIndex(index => (index + 1) % WINDOWS.length),
		jobs: () => ui.navigate({view: 'jobs', queue}),
	});

	const series = poll.data?.series;
	const finished = series ? series.completed.map((count, index) => count + series.failed[index]!) : [];
	const chartWidth = Math.max(10, Math.min(60, ui.width - 2));
	const lines = selected ? histogramLines(selected, ui.width - 2) : [];
	return (
		<Box flexDirection="column">
			<StatusLine text={poll.data?.metrics ? metricsSummaryLine(poll.data.metrics, poll.data.window) : `${queue} · reading the last ${window.label}…`} poll={poll} />
			<Text wrap="truncate-end">
				<Text color="cyan">{sparkline(finished, chartWidth)}</Text>
				<Text dimColor>{series ? `  ${seriesCaption(series)}` : ''}</Text>
			</Text>
			<List
				{...table.list}
				selected={selection.index}
				height={listHeight}
				width={ui.width}
				numeric={metricsNumeric}
				drop={metricsDrop}
				empty={emptyText(poll, 'metrics', `nothing recorded for ${queue} in the last ${window.label}: our workers record what they run`)}
			/>
			<Text bold wrap="truncate-end">{selected ? sanitizeLine(`runtime of ${selected.name} (t: ${WINDOWS[(windowIndex + 1) % WINDOWS.length]!.label})`) : ' '}</Text>
			{lines.slice(0, histogramRoom - 1).map(line => (
				<Text key={line} wrap="truncate-end">
					{line}
				</Text>
			))}
		</Box>
	);
}
