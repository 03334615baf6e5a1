/**
 * Live queue events of every known queue, newest at the bottom (one blocking
 * XREAD over all the streams, as `saccos-queue events`):
 *
 *   events of 4 queues · following · 1,204 · filter "emails": 38 (Esc clears)
 *   12:03:04 emails         failed     job 43 failedReason=SMTP 421 attemptsMade=2
 *   12:03:05 high           worker.started  workerId=vm-w812-ab12 host=vm
 *
 * BullMQ's own events plus what our processes emit (worker.started,
 * worker.stopped, schedules.synced). f stops or resumes following, / keeps
 * the events containing a text; the movement keys scroll back through the
 * last 1,000. Every field is untrusted and passes the sanitizer.
 */
import {Box, Text} from 'ink';
import {useEffect, useState} from 'react';
import {sanitizeLine} from '../../data/sanitize.js';
import type {QueueEvent} from '../../data/events.js';
import {eventParts, eventTone} from '../../present/event-rows.js';
import {logWindow} from '../../present/process-rows.js';
import {useActions, useUi} from '../ui-context.js';

export const KEEP_EVENTS = 1000;
const FLUSH_MS = 40;
const TONES = {bad: 'red', good: 'green', wait: 'yellow', other: 'cyan'} as const;

type Entry = {seq: number; time: string; queue: string; event: string; tone: keyof typeof TONES; rest: string; search: string};

function toEntry(event: QueueEvent, seq: number, zone: string): Entry {
	const parts = eventParts(event, zone);
	const rest = sanitizeLine([parts.job, parts.details].filter(Boolean).join(' '));
	return {seq, time: parts.time, queue: sanitizeLine(parts.queue), event: sanitizeLine(parts.event), tone: eventTone(event.event), rest, search: `${parts.queue} ${parts.event} ${parts.job} ${parts.details}`.toLowerCase()};
}

export function EventsView() {
	const ui = useUi();
	const [entries, setEntries] = useState<Entry[]>([]);
	const [following, setFollowing] = useState(true);
	const [error, setError] = useState<string | undefined>(undefined);
	/** The stream has read where every queue's events stand: from now on nothing is missed. */
	const [live, setLive] = useState(false);
	const [run, setRun] = useState(0);
	const [filter, setFilter] = useState('');
	const [anchor, setAnchor] = useState<number | null>(null);

	useEffect(() => {
		if (!following) return undefined;
		const abort = new AbortController();
		let seq = Date.now();
		let pending: Entry[] = [];
		let timer: NodeJS.Timeout | undefined;
		// Events come one call each: draw them in batches, not a frame per event.
		const flush = () => {
			clearTimeout(timer);
			timer = undefined;
			const batch = pending;
			pending = [];
			if (batch.length > 0) setEntries(previous => [...previous, ...batch].slice(-KEEP_EVENTS));
		};
		setError(undefined);
		setLive(false);
		ui.api.events(event => {
			if (abort.signal.aborted) return;
			pending.push(toEntry(event, seq++, ui.api.timezone));
			if (pending.length > KEEP_EVENTS) pending = pending.slice(-KEEP_EVENTS);
			timer ??= setTimeout(flush, FLUSH_MS);
		}, abort.signal, () => {
			if (!abort.signal.aborted) setLive(true);
		}).catch((failure: unknown) => {
			if (!abort.signal.aborted) setError(failure instanceof Error ? failure.message : String(failure));
		});
		return () => {
			abort.abort();
			clearTimeout(timer);
		};
		// eslint-disable-next-line react-hooks/exhaustive-deps
	}, [following, run]);

	const needle = filter.toLowerCase();
	const shown = needle ? entries.filter(entry => entry.search.includes(needle)) : entries;
	const page = Math.max(1, ui.height - 1);
	const {start, end} = logWindow(shown, anchor, page);

	useActions(action => {
		if (logWindow(shown, anchor, page, action).moved) {
			setAnchor(current => logWindow(shown, current, page, action).anchor);
			return true;
		}
		switch (action) {
			case 'follow':
				setFollowing(current => !current);
				return true;
			case 'filter':
				ui.prompt({title: 'Show events containing:', initial: filter, onSubmit: setFilter});
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

	const facts = ['events of every known queue', following ? (live ? 'following (f pauses)' : 'connecting…') : 'paused (f follows)', `${entries.length.toLocaleString('en-US')} event(s)`];
	if (filter) facts.push(`filter "${filter}": ${shown.length} (Esc clears)`);
	if (anchor !== null) facts.push('scrolled back (G: newest)');
	return (
		<Box flexDirection="column">
			<Text wrap="truncate-end">
				<Text bold>{sanitizeLine(facts.join(' · '))}</Text>
				{error ? <Text color="red">{`  ${sanitizeLine(error)} (^R retries)`}</Text> : entries.length === 0 && following && live ? <Text dimColor>  waiting for events…</Text> : null}
			</Text>
			{shown.slice(start, end).map(entry => (
				<Text key={entry.seq} wrap="truncate-end">
					<Text dimColor>{`${entry.time} `}</Text>
					<Text>{`${entry.queue.padEnd(14)} `}</Text>
					<Text color={TONES[entry.tone]}>{`${entry.event.padEnd(10)} `}</Text>
					{entry.rest}
				</Text>
			))}
		</Box>
	);
}
