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
import {useRef, useState} from 'react';
import {sanitizeLine} from '../../shared/sanitize.js';
import type {QueueEvent} from '../../data/events.js';
import {eventParts, eventTone} from '../../present/event-rows.js';
import {useUi, useViewKeys} from '../ui-context.js';
import {useScrollback} from '../use-scrollback.js';
import {useStream} from '../use-stream.js';

const KEEP_EVENTS = 1000;
const TONES = {bad: 'red', good: 'green', wait: 'yellow', other: 'cyan'} as const;

type Entry = {seq: number; time: string; queue: string; event: string; tone: keyof typeof TONES; rest: string; search: string};

function toEntry(event: QueueEvent, seq: number, zone: string): Entry {
	const parts = eventParts(event, zone);
	const rest = sanitizeLine([parts.job, parts.details].filter(Boolean).join(' '));
	return {seq, time: parts.time, queue: sanitizeLine(parts.queue), event: sanitizeLine(parts.event), tone: eventTone(event.event), rest, search: `${parts.queue} ${parts.event} ${parts.job} ${parts.details}`.toLowerCase()};
}

export function EventsView() {
	const ui = useUi();
	const [following, setFollowing] = useState(true);
	const [restart, setRestart] = useState(0);
	// One sequence for the view's life: the kept events stay when the stream restarts (f, ^R),
	// and the scroll-back relies on numbers that only grow.
	const seq = useRef(0);
	const {entries, outcome} = useStream<Entry>((add, signal, ready) => {
		return ui.api.events(event => add(toEntry(event, seq.current++, ui.api.timezone)), signal, ready);
	}, {keep: KEEP_EVENTS, active: following, restart, clearOnStart: false});
	const view = useScrollback(entries, Math.max(1, ui.height - 1), ui, 'Show events containing:');

	useViewKeys<'events'>({
		...view.keys,
		follow: () => setFollowing(current => !current),
		refresh: () => setRestart(count => count + 1),
	});

	const live = following && outcome.state === 'live';
	const facts = ['events of every known queue', following ? (live || outcome.state === 'failed' ? 'following (f pauses)' : 'connecting…') : 'paused (f follows)', `${entries.length.toLocaleString('en-US')} event(s)`];
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
					<Text dimColor>{`${entry.time} `}</Text>
					<Text>{`${entry.queue.padEnd(14)} `}</Text>
					<Text color={TONES[entry.tone]}>{`${entry.event.padEnd(10)} `}</Text>
					{entry.rest}
				</Text>
			))}
		</Box>
	);
}
