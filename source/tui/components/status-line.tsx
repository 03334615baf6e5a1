/**
 * The line above a table: what it shows on the left (cut to fit, sanitized),
 * how fresh it is on the right:
 *
 *   5 processes on 2 hosts · 0 other BullMQ workers           updated 12:03:04
 */
import {Box, Text} from 'ink';
import {sanitizeLine} from '../../common/sanitize.js';
import {PollStatus} from './poll-status.js';

export type StatusLineProps = {
	text: string;
	color?: string;
	poll: {stale: boolean; error: string | undefined; updatedAt: number | undefined; loading: boolean};
	/** Appended to "updated …" (a filter in force). */
	extra?: string;
};

export function StatusLine({text, color, poll, extra}: StatusLineProps) {
	return (
		<Box justifyContent="space-between">
			<Box flexShrink={1}>
				<Text wrap="truncate-end" {...(color ? {color} : {})}>
					{sanitizeLine(text) || ' '}
				</Text>
			</Box>
			<Box flexShrink={0} marginLeft={1}>
				<PollStatus {...poll} {...(extra ? {extra} : {})} />
			</Box>
		</Box>
	);
}
