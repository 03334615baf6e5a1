/**
 * Queue events of every known queue, newest at the bottom: it opens with the
 * latest ones already in the streams (50 per queue), then follows them live
 * (one blocking XREAD over all the streams, as `saccos-queue events`):
 *
 *   events of every known queue · following (f pauses) · 1,204 event(s) · waiting/active/drained hidden: 310 (n shows)
 *     12:03:04 emails         failed     job 43 failedReason=SMTP 421 attemptsMade=2
 *   ▸ 12:03:05 emails         delayed    job 44 runs in 2m 10s, at 12:05:15
 *
 * BullMQ's own events plus what our processes emit (worker.started,
 * worker.stopped, schedules.synced). A cursor (▸) stays on the newest event
 * until the movement keys move it (the last 1,000 are kept; G: the newest
 * again); Enter opens the selected event's job; n hides the waiting, active
 * and drained events that every job brings; f stops or resumes following, /
 * keeps the events containing a text. Every field is untrusted and passes
 * the sanitizer.
 */
import {Box, Text} from 'ink';
import {useRef, useState} from 'react';
import {sanitizeLine} from '../../common/sanitize.js';
import type {QueueEvent} from '../../data/events.js';
import {compareStreamIds} from '../../common/stream-id.js';
import {eventParts, eventTone, NOISY_EVENTS} from '../../present/event-rows.js';
import {useUi, useViewKeys} from '../ui-context.js';
import {useScrollback} from '../use-scrollback.js';
import {useStream} from '../use-stream.js';

const KEEP_EVENTS = 1000;
/** The latest events of each queue the view opens with (and fills a pause with, when it follows again). */
const RECENT_PER_QUEUE = 50;
const TONES = {bad: 'red', good: 'green', wait: 'yellow', other: 'cyan'} as const;

type Entry = {seq: number; time: string; queue: string; event: string; tone: keyof typeof TONES; rest: string; search: string; noisy: boolean; source: QueueEvent};

function toEntry(event: QueueEvent, seq: number, zone: string): Entry {
	const parts = eventParts(event, zone);
	const rest = sanitizeLine([parts.job, parts.details].filter(Boolean).join(' '));
	return {seq, time: parts.time, queue: sanitizeLine(parts.queue), event: sanitizeLine(parts.event), tone: eventTone(event.event), rest, search: `${parts.queue} ${parts.event} ${parts.job} ${parts.details}`.toLowerCase(), noisy: NOISY_EVENTS.has(event.event), source: event};
}

export function EventsView() {
	const ui = useUi();
	const [following, setFollowing] = useState(true);
	const [restart, setRestart] = useState(0);
	const [quiet, setQuiet] = useState(false);
	// One sequence for the view's life: the kept events stay when the stream restarts (f, ^R),
	// and the scroll-back relies on numbers that only grow.
	const seq = useRef(0);
	// The newest event seen of each queue: a restart opens with the recent events again, and those
	// already shown are not shown twice.
	const newest = useRef(new Map<string, string>());
	const {entries, outcome} = useStream<Entry>((add, signal, ready) => {
		const onEvent = (event: QueueEvent) => {
			const last = newest.current.get(event.queue);
			if (last !== undefined && compareStreamIds(event.id, last) <= 0) return;
			newest.current.set(event.queue, event.id);
			add(toEntry(event, seq.current++, ui.api.timezone));
		};
		return ui.api.events(onEvent, signal, ready, {recent: {perQueue: RECENT_PER_QUEUE, total: KEEP_EVENTS}});
	}, {keep: KEEP_EVENTS, active: following, restart, clearOnStart: false});
	const view = useScrollback(entries, {rows: Math.max(1, ui.height - 1), ui, promptTitle: 'Show events containing:', ...(quiet ? {hide: (entry: Entry) => entry.noisy} : {})});

	useViewKeys<'events'>({
		...view.keys,
		follow: () => setFollowing(current => !current),
		refresh: () => setRestart(count => count + 1),
		quiet: () => setQuiet(current => !current),
		inspect: () => {
			const selected = view.selected?.source;
			if (!selected) return false;
			if (selected.jobId === null) ui.flash(`this ${selected.event} event of ${selected.queue} names no job`, 'error');
			else ui.navigate({view: 'job', queue: selected.queue, id: selected.jobId});
		},
	});

	const live = following && outcome.state === 'live';
	const facts = ['events of every known queue', following ? (live || outcome.state === 'failed' ? 'following (f pauses)' : 'connecting…') : 'paused (f follows)', `${entries.length.toLocaleString('en-US')} event(s)`];
	if (quiet) facts.push(`waiting/active/drained hidden: ${view.hidden.toLocaleString('en-US')} (n shows)`);
	if (view.filter) facts.push(`filter "${view.filter}": ${view.shown.length} (Esc clears)`);
	if (view.scrolled) facts.push('scrolled back (G: newest)');
	return (
		<Box flexDirection="column">
			<Text wrap="truncate-end">
				<Text bold>{sanitizeLine(facts.join(' · '))}</Text>
				{following && outcome.state === 'failed' ? <Text color="red">{`  ${sanitizeLine(outcome.error)} (^R retries)`}</Text> : entries.length === 0 && live ? <Text dimColor>  waiting for events…</Text> : null}
			</Text>
			{view.shown.slice(view.start, view.end).map(entry => (
				<Text key={entry.seq} wrap="truncate-end">
					<Text color="cyan">{entry === view.selected ? '▸ ' : '  '}</Text>
					<Text dimColor>{`${entry.time} `}</Text>
					<Text>{`${entry.queue.padEnd(14)} `}</Text>
					<Text color={TONES[entry.tone]}>{`${entry.event.padEnd(10)} `}</Text>
					{entry.rest}
				</Text>
			))}
		</Box>
	);
}
