/**
 * A service's log (or "all"), followed; or the worker lines around one job:
 *
 *   log of worker@high · follow on · 1,204 lines · filter "emails": 38 (Esc clears)
 *     2026-11-28 12:03:04 worker@high INFO job completed emails/42 (send) attempt 1 120ms
 *   ▸ 2026-11-28 12:03:05 worker@high ERROR job failed emails/43 (send) attempt 2 1s err: timeout
 *
 * The last lines that fit, newest at the bottom, and a cursor (▸) on one of
 * them: it stays on the newest line while following, the movement keys move
 * it back through the last 2,000 lines (G or End: the newest again), Enter
 * shows the selected line whole, every field (Esc or q closes it). Long
 * lines are cut at the edge, and h/l (←/→) scroll them sideways; w wraps
 * them onto the following rows instead. f stops or restarts the stream, /
 * keeps the lines containing a text. Opened from a job (`l`), the lines of
 * that job are marked ▌ and bold. Every line is untrusted and passes the
 * sanitizer.
 */
import {Box, Text} from 'ink';
import {useState} from 'react';
import {sanitizeLine} from '../../common/sanitize.js';
import {formatLogLine, jobOfLine, logLineDetail, logLineText, type LogEntry as Entry} from '../../present/process-rows.js';
import {segmentsWidth, sliceSegments, wrapRanges, wrapSegments, type Segment} from '../../present/text-rows.js';
import type {LogLine} from '../../process/logs.js';
import {useDetail} from '../components/line-detail.js';
import {useUi, useViewKeys, type Route} from '../ui-context.js';
import {useScrollback} from '../use-scrollback.js';
import {useStream} from '../use-stream.js';

const KEEP_LINES = 2000;
const FIRST_LINES = 200;
const LEVEL_COLORS: Record<string, string> = {WARN: 'yellow', ERROR: 'red', FATAL: 'red'};

function toEntry(line: LogLine, seq: number, zone: string): Entry {
	const parts = formatLogLine(line, zone);
	return {seq, time: sanitizeLine(parts.time), service: sanitizeLine(parts.service), level: parts.level === null ? null : sanitizeLine(parts.level), body: sanitizeLine(parts.body), search: `${logLineText(parts)}\n${line.text}`.toLowerCase(), line, job: jobOfLine(line)};
}

/** A line as segments: time and service dim, the level in its colour, then the body. */
const segmentsOf = (entry: Entry): Segment[] => [{text: `${entry.time} ${entry.service} `, tone: 'dim'}, ...(entry.level ? [{text: `${entry.level} `, tone: entry.level}] : []), {text: entry.body}];

function Segments({segments, bold}: {segments: Segment[]; bold: boolean}) {
	return (
		<>
			{segments.map((segment, index) => (
				<Text key={index} bold={bold} dimColor={segment.tone === 'dim'} color={segment.tone === undefined ? undefined : LEVEL_COLORS[segment.tone]}>
					{segment.text}
				</Text>
			))}
		</>
	);
}

type Layout = {wrap: boolean; offset: number; width: number; maxRows: number; marks: boolean};

/** One log line on its row(s): the cursor, the job's mark (when the view shows a job's lines), then the text, cut or wrapped. */
function LogRow({entry, selected, mine, layout}: {entry: Entry; selected: boolean; mine: boolean; layout: Layout}) {
	const segments = segmentsOf(entry);
	const rows = layout.wrap ? wrapSegments(segments, layout.width, layout.maxRows) : [sliceSegments(segments, layout.offset, layout.width)];
	return (
		<>
			{rows.map((row, index) => (
				<Text key={index} wrap="truncate-end">
					<Text color="cyan">{selected && index === 0 ? '▸' : ' '}</Text>
					{layout.marks ? <Text color="magenta">{mine ? '▌' : ' '}</Text> : null}
					{' '}
					<Segments segments={row} bold={mine} />
				</Text>
			))}
		</>
	);
}

/** follow: tail and follow; paused: the stream stopped, its lines kept; once: the tail read once (^R while paused, a job's window). */
type Mode = 'follow' | 'paused' | 'once';

export function LogsView({route}: {route: Extract<Route, {view: 'logs'}>}) {
	const ui = useUi();
	const {job} = route;
	const name = route.service ?? 'all';
	const [mode, setMode] = useState<Mode>(job ? 'once' : 'follow');
	const [restart, setRestart] = useState(0);
	const [wrap, setWrap] = useState(false);
	const [offset, setOffset] = useState(0);
	const {entries, outcome} = useStream<Entry>((add, signal, ready) => {
		let seq = 0;
		const onLine = (line: LogLine) => add(toEntry(line, seq++, ui.api.timezone));
		ready();
		return job ? ui.api.jobLogs(job.queue, job.id, onLine, signal) : ui.api.logs(name, {lines: FIRST_LINES, follow: mode === 'follow', signal}, onLine);
	}, {keep: KEEP_LINES, active: mode !== 'paused', restart, clearOnStart: true});
	const page = Math.max(1, ui.height - 1);
	const layout: Layout = {wrap, offset, width: Math.max(1, ui.width - (job ? 3 : 2)), maxRows: Math.max(1, Math.min(page, Math.max(3, Math.floor(page / 2)))), marks: job !== undefined};
	const height = wrap ? (entry: Entry) => wrapRanges(segmentsOf(entry), layout.width, layout.maxRows).ranges.length : undefined;
	const view = useScrollback(entries, {rows: page, ui, promptTitle: 'Show lines containing:', ...(height ? {height} : {})});
	const detail = useDetail((entry: Entry, width) => ({title: `line ${entry.seq + 1} of ${entry.service}`, lines: logLineDetail(entry.line, ui.api.timezone, width)}), ui.width, ui.height);
	const onScreen = view.shown.slice(view.start, view.end);
	const sideways = (by: number) => () => {
		if (wrap) return void ui.flash('lines wrap, nothing is cut off (w cuts them again)', 'error');
		const widest = Math.max(0, ...onScreen.map(entry => segmentsWidth(segmentsOf(entry))));
		const next = Math.max(0, Math.min(offset + by, widest - layout.width));
		if (by > 0 && next <= offset) ui.flash('nothing is cut off further right', 'error');
		else setOffset(next);
	};

	useViewKeys<'logs'>({
		...view.keys,
		...(detail.isOpen ? detail.keys : {}),
		cancel: () => detail.keys.cancel() !== false || view.keys.cancel(),
		follow: () => {
			if (job) ui.flash('a job\'s lines are a fixed window: nothing to follow', 'error');
			else if (mode === 'follow') setMode('paused');
			else {
				setMode('follow');
				setRestart(count => count + 1);
			}
		},
		refresh: () => {
			if (mode === 'paused') setMode('once');
			setRestart(count => count + 1);
		},
		inspect: () => {
			if (detail.isOpen) return true;
			if (!view.selected) return false;
			detail.open(view.selected);
		},
		wrap: () => {
			setWrap(current => !current);
			setOffset(0);
		},
		'scroll-left': sideways(-Math.max(10, Math.floor(layout.width / 2))),
		'scroll-right': sideways(Math.max(10, Math.floor(layout.width / 2))),
	});

	if (detail.element) return detail.element;
	return (
		<Box flexDirection="column">
			<LogsStatus what={job ? `worker lines of job ${job.queue}/${job.id}` : `log of ${name}`} mode={job ? undefined : mode} count={entries.length} view={view} outcome={outcome} layout={layout} job={job} />
			{onScreen.map(entry => (
				<LogRow key={entry.seq} entry={entry} selected={entry === view.selected} mine={job !== undefined && entry.job?.queue === job.queue && entry.job.id === job.id} layout={layout} />
			))}
		</Box>
	);
}

type StatusProps = {what: string; mode: Mode | undefined; count: number; view: {filter: string; shown: unknown[]; scrolled: boolean}; outcome: ReturnType<typeof useStream>['outcome']; layout: Layout; job: {queue: string; id: string} | undefined};

/** The line above the log: what it is, following or not, how many lines, filter, wrap or sideways scroll, and a note (reading…, an error, empty). */
function LogsStatus({what, mode, count, view, outcome, layout, job}: StatusProps) {
	const facts = [what, ...(mode ? [`follow ${mode === 'follow' ? 'on' : 'off'}`] : []), `${count.toLocaleString('en-US')} line(s)`];
	if (view.filter) facts.push(`filter "${view.filter}": ${view.shown.length} (Esc clears)`);
	if (view.scrolled) facts.push('scrolled back (G: newest)');
	if (layout.wrap) facts.push('wrapped (w cuts)');
	else if (layout.offset > 0) facts.push(`from column ${layout.offset + 1} (h: back)`);
	if (job) facts.push(`▌ lines of job ${job.id}`);
	const reading = outcome.state === 'connecting' || outcome.state === 'live';
	const note =
		outcome.state === 'failed' ? outcome.error
		: reading && mode !== 'paused' && count === 0 ? 'reading…'
		: outcome.state === 'done' && count === 0 ? (job ? 'no worker lines for this job in its run window' : 'the log is empty')
		: '';
	return (
		<Text wrap="truncate-end">
			<Text bold>{sanitizeLine(facts.join(' · '))}</Text>
			<Text color={outcome.state === 'failed' ? 'red' : undefined} dimColor={outcome.state !== 'failed'}>{note ? `  ${sanitizeLine(note)}` : ''}</Text>
		</Text>
	);
}
