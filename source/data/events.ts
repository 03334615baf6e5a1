/**
 * Live queue events from every queue's BullMQ event stream on ONE blocking
 * connection (XREAD over many streams), not one QueueEvents per queue.
 */
import {toUserError, type Connection} from './connection.js';
import {queueKey} from './keys.js';
import {compareStreamIds} from '../common/stream-id.js';

export type QueueEvent = {
	queue: string;
	/** The stream entry id (`<ms>-<seq>`). */
	id: string;
	/** Epoch ms, from the entry id. */
	time: number;
	event: string;
	jobId: string | null;
	/** Every other field of the entry, as BullMQ wrote it (untrusted text). */
	fields: Record<string, string>;
};

function toEvent(queue: string, id: string, flat: string[]): QueueEvent {
	const fields: Record<string, string> = {};
	for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
	const {event = 'unknown', jobId, ...rest} = fields;
	return {queue, id, time: Number(id.split('-')[0]), event, jobId: jobId ?? null, fields: rest};
}

/** Stream entry ids (`<ms>-<seq>`) in order; events of different queues at the same id, by queue. */
export function compareEvents(a: {queue: string; id: string}, b: {queue: string; id: string}): number {
	return compareStreamIds(a.id, b.id) || (a.queue < b.queue ? -1 : a.queue > b.queue ? 1 : 0);
}

/** How many of the latest events to deliver before following: per queue, and in all (the newest of them). */
export type RecentEvents = {perQueue: number; total: number};

/**
 * Where following starts in each stream (its newest entry, `0-0` for none),
 * and with `recent`, the newest entries of each stream merged by time, oldest
 * first: both from the same XREVRANGE, so what is delivered before following
 * and what XREAD reads after it neither overlap nor leave a gap.
 */
async function startingPoints(connection: Connection, keys: readonly string[], queues: readonly string[], recent: RecentEvents | undefined): Promise<{last: Map<string, string>; history: QueueEvent[]}> {
	const last = new Map<string, string>();
	const history: QueueEvent[] = [];
	const perQueue = recent ? Math.max(1, Math.floor(recent.perQueue)) : 1;
	try {
		const pipeline = connection.client.pipeline();
		for (const key of keys) pipeline.xrevrange(key, '+', '-', 'COUNT', perQueue);
		const replies = (await pipeline.exec()) ?? [];
		keys.forEach((key, index) => {
			const entries = (replies[index]?.[1] ?? []) as Array<[string, string[]]>;
			last.set(key, entries[0]?.[0] ?? '0-0');
			if (recent) for (const [id, flat] of entries) history.push(toEvent(queues[index]!, id, flat));
		});
	} catch (error) {
		throw toUserError(error, connection.where);
	}
	history.sort(compareEvents);
	return {last, history: recent ? history.slice(-Math.max(0, Math.floor(recent.total))) : []};
}

/**
 * Follows the event streams of `queues` until `signal` aborts, calling
 * `onEvent` in stream order per queue. Starts after each stream's current
 * last entry, so nothing that happens once following has begun is missed
 * (XREAD's `$` would re-read "now" on every call and drop events in between).
 * With `recent`, the latest events already in the streams come first (merged
 * by time, oldest first), read in the same round trip that fixes where
 * following starts: none is delivered twice, none between them is lost.
 * `connection` must be a dedicated one: a blocking read holds it.
 */
export async function followEvents(
	connection: Connection,
	queues: readonly string[],
	onEvent: (event: QueueEvent) => void,
	options: {signal: AbortSignal; blockMs?: number; count?: number; onReady?: () => void; recent?: RecentEvents},
): Promise<void> {
	const keys = queues.map(queue => queueKey(connection.prefix, queue, 'events'));
	const {last, history} = await startingPoints(connection, keys, queues, options.recent);
	for (const event of history) {
		if (options.signal.aborted) return;
		onEvent(event);
	}
	const queueOf = new Map(keys.map((key, index) => [key, queues[index]!]));
	// From here on nothing is missed: what was added before is behind the positions just read.
	options.onReady?.();
	const stop = () => connection.client.disconnect();
	options.signal.addEventListener('abort', stop, {once: true});
	try {
		while (!options.signal.aborted) {
			let result: Array<[string, Array<[string, string[]]>]> | null;
			try {
				result = (await connection.client.xread(
					'COUNT',
					options.count ?? 500,
					'BLOCK',
					options.blockMs ?? 5000,
					'STREAMS',
					...keys,
					...keys.map(key => last.get(key)!),
				)) as Array<[string, Array<[string, string[]]>]> | null;
			} catch (error) {
				if (options.signal.aborted) return;
				throw toUserError(error, connection.where);
			}
			for (const [key, entries] of result ?? []) {
				for (const [id, flat] of entries) {
					last.set(key, id);
					onEvent(toEvent(queueOf.get(key)!, id, flat));
				}
			}
		}
	} finally {
		options.signal.removeEventListener('abort', stop);
	}
}
