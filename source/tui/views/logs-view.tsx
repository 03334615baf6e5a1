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
import {useEffect, useRef, useState} from 'react';
import {sanitizeLine} from '../../data/sanitize.js';
import {formatLogLine, logLineText, logWindow, type LogEntry as Entry} from '../../present/process-rows.js';
import type {LogLine} from '../../process/logs.js';
import {useActions, useUi, type Route} from '../ui-context.js';

export const KEEP_LINES = 2000;
const FIRST_LINES = 200;
const FLUSH_MS = 40;
const LEVEL_COLORS: Record<string, string> = {WARN: 'yellow', ERROR: 'red', FATAL: 'red'};

type Outcome = {state: 'reading'} | {state: 'done'} | {state: 'failed'; error: string};

function toEntry(line: LogLine, seq: number, zone: string): Entry {
	const parts = formatLogLine(line, zone);
	return {seq, time: sanitizeLine(parts.time), service: sanitizeLine(parts.service), level: parts.level === null ? null : sanitizeLine(parts.level), body: sanitizeLine(parts.body), search: `${logLineText(parts)}\n${line.text}`.toLowerCase()};
}

export function LogsView({route}: {route: Extract<Route, {view: 'logs'}>}) {
	const ui = useUi();
	const {job} = route;
	const name = route.service ?? 'all';
	const [entries, setEntries] = useState<Entry[]>([]);
	const [outcome, setOutcome] = useState<Outcome>({state: 'reading'});
	const [follow, setFollow] = useState(!job);
	const [run, setRun] = useState(0);
	const [filter, setFilter] = useState('');
	const [anchor, setAnchor] = useState<number | null>(null);
	const stream = useRef<AbortController | undefined>(undefined);
	const following = useRef(follow);

	useEffect(() => {
		const abort = new AbortController();
		stream.current = abort;
		let seq = 0;
		let pending: Entry[] = [];
		let timer: NodeJS.Timeout | undefined;
		// Lines arrive one call each: render them in batches, not one frame per line.
		const flush = () => {
			clearTimeout(timer);
			timer = undefined;
			const batch = pending;
			pending = [];
			if (batch.length > 0) setEntries(previous => [...previous, ...batch].slice(-KEEP_LINES));
		};
		const onLine = (line: LogLine) => {
			if (abort.signal.aborted) return;
			pending.push(toEntry(line, seq++, ui.api.timezone));
			if (pending.length > 2 * KEEP_LINES) pending = pending.slice(-KEEP_LINES);
			timer ??= setTimeout(flush, FLUSH_MS);
		};
		setEntries([]);
		setAnchor(null);
		setOutcome({state: 'reading'});
		const work = job ? ui.api.jobLogs(job.queue, job.id, onLine) : ui.api.logs(name, {lines: FIRST_LINES, follow, signal: abort.signal}, onLine);
		work.then(
			() => {
				if (abort.signal.aborted) return;
				flush();
				setOutcome({state: 'done'});
			},
			(error: unknown) => {
				if (abort.signal.aborted) return;
				flush();
				setOutcome({state: 'failed', error: error instanceof Error ? error.message : String(error)});
			},
		);
		return () => {
			abort.abort();
			clearTimeout(timer);
		};
		// A run starts on mount, on refresh and when follow is turned back on; `follow` is read as it is then.
		// eslint-disable-next-line react-hooks/exhaustive-deps
	}, [run]);

	const needle = filter.toLowerCase();
	const shown = needle ? entries.filter(entry => entry.search.includes(needle)) : entries;
	const page = Math.max(1, ui.height - 1);
	const {start, end} = logWindow(shown, anchor, page);

	useActions(action => {
		// Functional updates: keys that arrive as one chunk run before a render.
		if (logWindow(shown, anchor, page, action).moved) {
			setAnchor(current => logWindow(shown, current, page, action).anchor);
			return true;
		}
		switch (action) {
			case 'follow':
				if (job) ui.flash('a job\'s lines are a fixed window: nothing to follow', 'error');
				else if (following.current) {
					following.current = false;
					stream.current?.abort();
					setFollow(false);
				} else {
					following.current = true;
					setFollow(true);
					setRun(count => count + 1);
				}
				return true;
			case 'filter':
				ui.prompt({title: 'Show lines containing:', initial: filter, onSubmit: setFilter});
				return true;
			case 'cancel':
				if (!filter) return false;
				setFilter('');
				return true;
			case 'refresh':
				setRun(count => count + 1);
				return true;
			default:
				return false;
		}
	});

	const what = job ? `worker lines of job ${job.queue}/${job.id}` : `log of ${name}`;
	const facts = [what, ...(job ? [] : [`follow ${follow ? 'on' : 'off'}`]), `${entries.length.toLocaleString('en-US')} line(s)`];
	if (filter) facts.push(`filter "${filter}": ${shown.length} (Esc clears)`);
	if (anchor !== null) facts.push('scrolled back (G: newest)');
	const note =
		outcome.state === 'failed' ? outcome.error
		: outcome.state === 'reading' && entries.length === 0 ? 'reading…'
		: outcome.state === 'done' && entries.length === 0 ? (job ? 'no worker lines for this job in its run window' : 'the log is empty')
		: '';
	return (
		<Box flexDirection="column">
			<Text wrap="truncate-end">
				<Text bold>{sanitizeLine(facts.join(' · '))}</Text>
				<Text color={outcome.state === 'failed' ? 'red' : undefined} dimColor={outcome.state !== 'failed'}>{note ? `  ${sanitizeLine(note)}` : ''}</Text>
			</Text>
			{shown.slice(start, end).map(entry => (
				<Text key={entry.seq} wrap="truncate-end">
					<Text dimColor>{`${entry.time} ${entry.service} `}</Text>
					{entry.level ? <Text color={LEVEL_COLORS[entry.level]}>{`${entry.level} `}</Text> : null}
					{entry.body}
				</Text>
			))}
		</Box>
	);
}
