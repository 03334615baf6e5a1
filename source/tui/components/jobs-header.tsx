/**
 * The two lines above the jobs table:
 *
 *   emails  PAUSED   1 waiting 12   2 active 0   3 delayed 0  …  7 failed 3
 *   1–23 of 1,234 failed · 2 marked (Esc clears)                updated 12:03:04
 */
import {Box, Text} from 'ink';
import {sanitizeLine} from '../../common/sanitize.js';
import type {JobState, QueueSnapshot} from '../../common/types.js';
import {stateTabs} from '../../present/job-rows.js';
import type {PollState} from '../../store/poller.js';
import {PollStatus} from './poll-status.js';

export type JobsHeaderProps = {
	queue: string;
	info: QueueSnapshot | undefined;
	state: JobState | undefined;
	width: number;
	/** Page, filter and marks, already joined. */
	status: string;
	/** The poll whose freshness the line reports. */
	poll: PollState<unknown>;
};

export function JobsHeader({queue, info, state, width, status, poll}: JobsHeaderProps) {
	return (
		<>
			<Text wrap="truncate-end">
				<Text bold>{sanitizeLine(queue)}</Text>
				{info?.paused ? <Text inverse color="yellow"> PAUSED </Text> : null}
				<Text> </Text>
				{stateTabs(info?.counts, state, width - queue.length - (info?.paused ? 9 : 1)).map(tab => (
					<Text key={tab.state} {...(tab.state === state ? {inverse: true, bold: true} : {dimColor: true})}>
						{tab.text}
					</Text>
				))}
			</Text>
			<Box justifyContent="space-between">
				{/* The status gives way to the freshness (STALE and why), never overlaps it. */}
				<Box flexShrink={1}>
					<Text wrap="truncate-end">{sanitizeLine(status || ' ')}</Text>
				</Box>
				<Box flexShrink={0} marginLeft={1}>
					<PollStatus {...poll} />
				</Box>
			</Box>
		</>
	);
}
