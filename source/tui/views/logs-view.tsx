/**
 * A service's log (or "all"), followed; or the worker lines around one job:
 *
 *   log of worker@high · follow on · 1,204 lines · filter "emails": 38 (Esc clears)
 *   2026-11-28 12:03:04 worker@high INFO job completed emails/42 (send) attempt 1 120ms
 *   2026-11-28 12:03:05 worker@high ERROR job failed emails/43 (send) attempt 2 1s err: timeout
 *
 * The last lines that fit, newest at the bottom; f stops or restarts the
 * stream, / keeps the lines containing a text, the movement keys scroll back
 * through the last 2,000 lines (G or End: back to the newest). Every line is
 * untrusted and passes the sanitizer.
 */
import {Box, Text} from 'ink';
import {useState} from 'react';
import {sanitizeLine} from '../../shared/sanitize.js';
import {formatLogLine, logLineText, type LogEntry as Entry} from '../../present/process-rows.js';
import type {LogLine} from '../../process/logs.js';
import {useUi, useViewKeys, type Route} from '../ui-context.js';
import {useScrollback} from '../use-scrollback.js';
import {useStream} from '../use-stream.js';

const KEEP_LINES = 2000;
const FIRST_LINES = 200;
const LEVEL_COLORS: Record<string, string> = {WARN: 'yellow', ERROR: 'red', FATAL: 'red'};

function toEntry(line: LogLine, seq: number, zone: string): Entry {
	const parts = formatLogLine(line, zone);
	return {seq, time: sanitizeLine(parts.time), service: sanitizeLine(parts.service), level: parts.level === null ? null : sanitizeLine(parts.level), body: sanitizeLine(parts.body), search: `${logLineText(parts)}\n${line.text}`.toLowerCase()};
}

/** follow: tail and follow; paused: the stream stopped, its lines kept; once: the tail read once (^R while paused, a job's window). */
type Mode = 'follow' | 'paused' | 'once';

export function LogsView({route}: {route: Extract<Route, {view: 'logs'}>}) {
	const ui = useUi();
	const {job} = route;
	const name = route.service ?? 'all';
	const [mode, setMode] = useState<Mode>(job ? 'once' : 'follow');
	const [restart, setRestart] = useState(0);
	const {entries, outcome} = useStream<Entry>((add, signal, ready) => {
		let seq = 0;
		const onLine = (line: LogLine) => add(toEntry(line, seq++, ui.api.timezone));
		ready();
		return job ? ui.api.jobLogs(job.queue, job.id, onLine, signal) : ui.api.logs(name, {lines: FIRST_LINES, follow: mode === 'follow', signal}, onLine);
	}, {keep: KEEP_LINES, active: mode !== 'paused', restart, clearOnStart: true});
	const view = useScrollback(entries, Math.max(1, ui.height - 1), ui, 'Show lines containing:');

	useViewKeys<'logs'>({
		...view.keys,
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
	});

	const what = job ? `worker lines of job ${job.queue}/${job.id}` : `log of ${name}`;
	const facts = [what, ...(job ? [] : [`follow ${mode === 'follow' ? 'on' : 'off'}`]), `${entries.length.toLocaleString('en-US')} line(s)`];
	if (view.filter) facts.push(`filter "${view.filter}": ${view.shown.length} (Esc clears)`);
	if (view.scrolled) facts.push('scrolled back (G: newest)');
	const reading = outcome.state === 'connecting' || outcome.state === 'live';
	const note =
		outcome.state === 'failed' ? outcome.error
		: reading && mode !== 'paused' && entries.length === 0 ? 'reading…'
		: outcome.state === 'done' && entries.length === 0 ? (job ? 'no worker lines for this job in its run window' : 'the log is empty')
		: '';
	return (
		<Box flexDirection="column">
			<Text wrap="truncate-end">
				<Text bold>{sanitizeLine(facts.join(' · '))}</Text>
				<Text color={outcome.state === 'failed' ? 'red' : undefined} dimColor={outcome.state !== 'failed'}>{note ? `  ${sanitizeLine(note)}` : ''}</Text>
			</Text>
			{view.shown.slice(view.start, view.end).map(entry => (
				<Text key={entry.seq} wrap="truncate-end">
					<Text dimColor>{`${entry.time} ${entry.service} `}</Text>
					{entry.level ? <Text color={LEVEL_COLORS[entry.level]}>{`${entry.level} `}</Text> : null}
					{entry.body}
				</Text>
			))}
		</Box>
	);
}
