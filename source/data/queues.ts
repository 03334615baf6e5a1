/**
 * Which queues a command sees (README, "Commands"): the configured ones, those
 * recorded in Redis by our workers, `dispatch` and `queues discover`, and any
 * named with --queue whose BullMQ keys exist. Only `discoverQueues` scans the
 * keyspace, and only when an operator asks for it.
 */
import type {Config} from '../config.js';
import {UserError} from '../errors.js';
import {execValues, toUserError, type Connection} from './connection.js';
import {queueKey, queueMarkerSuffixes, registryKey} from './keys.js';
import {someNames} from '../util/names.js';

/** Configured queues first, in priority order, then recorded ones by name. */
export function mergeQueueNames(configured: readonly string[], recorded: readonly string[]): string[] {
	const seen = new Set(configured);
	return [...configured, ...[...recorded].filter(name => !seen.has(name)).sort()];
}

/** The queue names recorded in Redis (one SMEMBERS). */
export async function recordedQueues(connection: Connection): Promise<string[]> {
	try {
		return await connection.client.smembers(registryKey(connection.prefix));
	} catch (error) {
		throw toUserError(error, connection.where);
	}
}

/** Every queue this installation knows: configured ∪ recorded. */
export async function knownQueues(connection: Connection, config: Config): Promise<string[]> {
	return mergeQueueNames(config.queueOrder, await recordedQueues(connection));
}

/**
 * Checks that each name is a queue we may open: configured, recorded, or with
 * BullMQ keys in Redis. Costs one pipelined round trip and writes nothing; an
 * unknown name is a usage error (exit 2) that lists the known queues.
 */
export async function resolveQueues(connection: Connection, config: Config, names: readonly string[]): Promise<string[]> {
	const configured = new Set(config.queueOrder);
	const unknown = names.filter(name => !configured.has(name));
	if (unknown.length === 0) return [...names];
	const pipeline = connection.client.pipeline();
	pipeline.smembers(registryKey(connection.prefix));
	for (const name of unknown) {
		// EXISTS with several keys is one command; they share a slot (same queue).
		pipeline.exists(...['meta', 'id', 'events'].map(suffix => queueKey(connection.prefix, name, suffix)));
	}
	const replies = await execValues(connection, pipeline);
	const recorded = new Set(replies[0] as string[]);
	const missing = unknown.filter((name, index) => !recorded.has(name) && Number(replies[index + 1]) === 0);
	if (missing.length > 0) {
		const known = mergeQueueNames(config.queueOrder, [...recorded]);
		throw new UserError(
			'unknown-queue',
			`unknown queue ${missing.map(name => `"${name}"`).join(', ')} (prefix "${connection.prefix}"); known queues: ${someNames(known) || 'none'}`,
			'check the name and --prefix (`saccos-queue queues` lists the known ones), or run `saccos-queue queues discover` to find the BullMQ queues in Redis',
		);
	}
	return [...names];
}

export type DiscoverProgress = {scanned: number; total: number; found: number};

export type DiscoverResult = {
	/** Every queue found in the keyspace, sorted. */
	found: string[];
	/** Found queues that were neither configured nor recorded before. */
	added: string[];
	/** Whether `added` was written to the registry. */
	recorded: boolean;
	scannedKeys: number;
};

const suffixes = new Set(queueMarkerSuffixes);

/** The queue name of a BullMQ queue-level key, or undefined for any other key. */
export function queueOfKey(key: string, prefix: string): string | undefined {
	if (!key.startsWith(`${prefix}:`)) return undefined;
	const rest = key.slice(prefix.length + 1);
	const colon = rest.lastIndexOf(':');
	if (colon <= 0) return undefined;
	const suffix = rest.slice(colon + 1);
	if (!suffixes.has(suffix)) return undefined;
	const name = rest.slice(0, colon);
	if (name === 'saccos-queue') return undefined;
	return name;
}

/**
 * Scans the keyspace once (SCAN, never KEYS; every master on a Cluster) for
 * BullMQ queues under the prefix, and records the new ones unless `record` is
 * false (read-only mode or --dry-run).
 */
export async function discoverQueues(
	connection: Connection,
	config: Config,
	options: {record: boolean; onProgress?: (progress: DiscoverProgress) => void; batch?: number},
): Promise<DiscoverResult> {
	const {prefix} = connection;
	const found = new Set<string>();
	let scannedKeys = 0;
	try {
		const nodes = connection.nodes();
		const sizes = await Promise.all(nodes.map(node => node.dbsize()));
		const total = sizes.reduce((sum, size) => sum + size, 0);
		// SCAN's MATCH is applied after the fetch: escape glob characters in the prefix.
		const match = `${prefix.replace(/[*?[\]\\]/g, character => `\\${character}`)}:*`;
		for (const node of nodes) {
			let cursor = '0';
			do {
				const [next, keys] = await node.scan(cursor, 'MATCH', match, 'COUNT', options.batch ?? 1000);
				cursor = next;
				scannedKeys += keys.length;
				for (const key of keys) {
					const name = queueOfKey(key, prefix);
					if (name !== undefined) found.add(name);
				}
				options.onProgress?.({scanned: scannedKeys, total, found: found.size});
			} while (cursor !== '0');
		}
		const recorded = new Set(await recordedQueues(connection));
		const configured = new Set(config.queueOrder);
		const added = [...found].filter(name => !recorded.has(name) && !configured.has(name)).sort();
		if (options.record && added.length > 0) await connection.client.sadd(registryKey(prefix), ...added);
		return {found: [...found].sort(), added, recorded: options.record && added.length > 0, scannedKeys};
	} catch (error) {
		throw toUserError(error, connection.where);
	}
}
