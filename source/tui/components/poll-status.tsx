/**
 * One line on what the data shown is: "updated 12:03:04", or, when Redis
 * hiccups, the last good data stays and this says STALE with the error.
 */
import {Text} from 'ink';
import {sanitizeLine} from '../../common/sanitize.js';

/**
 * What an empty list says: before its first data, that it is loading or could not load (the
 * status line has the error), never "nothing there"; after, `loaded`.
 */
export function emptyText(poll: {data?: unknown; error: string | undefined}, noun: string, loaded: string): string {
	if (poll.data !== undefined) return loaded;
	return poll.error ? `cannot load the ${noun}` : 'loading…';
}

export function PollStatus({stale, error, updatedAt, loading, extra}: {stale: boolean; error: string | undefined; updatedAt: number | undefined; loading: boolean; extra?: string}) {
	if (error && !updatedAt) return <Text color="red">{sanitizeLine(`cannot load: ${error}`)}</Text>;
	if (!updatedAt) return <Text dimColor>{loading ? 'loading…' : ' '}</Text>;
	const time = new Date(updatedAt).toTimeString().slice(0, 8);
	if (stale) return <Text color="yellow">{sanitizeLine(`STALE (last good ${time}): ${error ?? ''}`)}</Text>;
	return <Text dimColor>{sanitizeLine(`updated ${time}${extra ? `  ${extra}` : ''}`)}</Text>;
}
