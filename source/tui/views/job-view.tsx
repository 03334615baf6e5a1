/**
 * One job, everything needed to understand a failure (polled every 2 s):
 *
 *   emails / 1234  send-welcome  failed  attempts 3 made, 3 started  by w-a1
 *   added 2024-05-01 12:00:00 (5m 02s ago) · processed 12:00:01 · finished …
 *   lines 1–20 of 85 (↑↓ PgUp PgDn scroll)                 updated 12:03:04
 *   Failed reason
 *     SMTP 421 try again later
 *   Stack trace
 *     Error: SMTP 421 …
 *   Data · Logs · Return value · Options
 *
 * r retries it (failed jobs only), D deletes it (queue name typed first),
 * l shows the worker's log lines around it, e opens the whole job in the
 * pager. A job that is gone shows the API's one-line "no job" message, not a
 * crash.
 *
 * A large field (data, reason, stack traces, return value) comes read only
 * up to limits.jobPreviewBytes: its heading gives its size and what is shown,
 * and nothing here parses or lays out more than that, whatever the job's
 * size: a 20 MB job once held the event loop for minutes, ^C and SIGTERM
 * unanswered.
 */
import {Box, Text} from 'ink';
import {useMemo, useState} from 'react';
import {sanitizeLine} from '../../common/sanitize.js';
import {formatBytes} from '../../present/format.js';
import {formatCount, jobDetailLines, jobHeader, removeOutcome, retryOutcome, wrapLines, type DetailLine} from '../../present/job-rows.js';
import {PollStatus} from '../components/poll-status.js';
import {useUi, useViewKeys, type Route} from '../ui-context.js';
import {usePoll} from '../use-poll.js';
import {moveKeys, useSelection} from '../use-selection.js';

const TONES: Record<NonNullable<DetailLine['tone']>, {bold?: boolean; color?: string; dimColor?: boolean}> = {
	heading: {bold: true},
	error: {color: 'red'},
	dim: {dimColor: true},
};

/** A line of job text (a 64 KB reason on one line) shows at most this many rows here; e opens it whole. */
const ROWS_PER_LINE = 40;

export function JobView({route}: {route: Extract<Route, {view: 'job'}>}) {
	const ui = useUi();
	const {api} = ui;
	const {queue, id} = route;
	const poll = usePoll(async () => api.job(queue, id), ui.api.refreshMs, JSON.stringify([queue, id]));
	const [deleted, setDeleted] = useState(false);
	const job = deleted ? undefined : poll.data;
	const bodyHeight = Math.max(1, ui.height - 3);
	// A poll brings a new object every 2 s, mostly the same job: it is laid out again only when it changed.
	const content = useMemo(() => (job ? JSON.stringify(job) : ''), [job]);
	const detail = useMemo(() => (job ? jobDetailLines(job, {pager: api.pager}) : []), [content, api.pager]); // eslint-disable-line react-hooks/exhaustive-deps
	const lines = useMemo(() => wrapLines(detail, ui.width - 1, ROWS_PER_LINE), [detail, ui.width]);
	const scroll = useSelection(Math.max(1, lines.rows - bodyHeight + 1), bodyHeight - 1);

	useViewKeys<'job'>({
		...moveKeys(scroll),
		refresh: () => {
			poll.refresh();
		},
		retry: () => {
			if (!job) return false;
			if (job.state === 'failed') ui.act(async () => api.retry(queue, [id]), result => retryOutcome(result, queue), poll.refresh, `retrying job ${id}`);
			else ui.flash(`only a failed job can be retried, and this one is ${job.state}`, 'error');
		},
		delete: () => {
			if (!job) return false;
			const onConfirm = () =>
				ui.act(
					async () => api.remove(queue, [id]),
					result => {
						if (result.count > 0) setDeleted(true);
						return removeOutcome(result, queue, job.state);
					},
					poll.refresh,
					`deleting job ${id}`,
				);
			ui.confirm({summary: `Delete ${job.state} job ${id} of "${queue}"?`, expected: queue, onConfirm});
		},
		logs: () => ui.navigate({view: 'logs', job: {queue, id}}),
		pager: () => {
			if (!job) return false;
			ui.act(async () => api.pageJob(queue, id, ui.suspend), result => `job ${id} (${formatBytes(result.bytes)}) closed in ${api.pager}`, undefined, `opening job ${id} in ${api.pager}`);
		},
	});

	if (!job) {
		const gone = deleted ? `job ${id} of ${queue} was deleted` : poll.error && !poll.data ? poll.error : undefined;
		return (
			<Box flexDirection="column">
				{gone ? <Text color={deleted ? undefined : 'red'}>{sanitizeLine(gone)}</Text> : <PollStatus {...poll} />}
				{gone ? <Text dimColor>q goes back</Text> : null}
			</Box>
		);
	}
	const [who, when] = jobHeader(job, api.timezone);
	const last = Math.min(lines.rows, scroll.index + bodyHeight);
	return (
		<Box flexDirection="column">
			<Text bold wrap="truncate-end">{sanitizeLine(who)}</Text>
			<Text dimColor wrap="truncate-end">{sanitizeLine(when)}</Text>
			<Box justifyContent="space-between">
				<Text dimColor>{`lines ${formatCount(scroll.index + 1)}–${formatCount(last)} of ${formatCount(lines.rows)}${lines.rows > bodyHeight ? ' (↑↓ PgUp PgDn scroll)' : ''}`}</Text>
				<PollStatus {...poll} />
			</Box>
			{lines.slice(scroll.index, last).map((line, index) => (
				<Text key={scroll.index + index} wrap="truncate-end" {...(line.tone ? TONES[line.tone] : {})}>
					{sanitizeLine(line.text) || ' '}
				</Text>
			))}
		</Box>
	);
}
