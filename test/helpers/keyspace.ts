/**
 * Keyspace utilities for tests that talk to a real Redis: delete a test's
 * keys (SCAN + UNLINK, never KEYS), fingerprint a whole server's keyspace
 * (to prove a command wrote nothing), count the commands a server executed
 * (INFO commandstats), and wait for a condition with a deadline.
 */
import {createHash} from 'node:crypto';
import {setImmediate as nextTick, setTimeout as sleep} from 'node:timers/promises';
import {Cluster, Redis} from 'ioredis';

/** A single server by URL, or the nodes of a Redis Cluster. */
export type RedisTarget = string | {cluster: string[]};

/** A plain ioredis client for test bookkeeping (not the code under test). */
export function openClient(target: RedisTarget, options: {giveUp?: boolean} = {}): Redis | Cluster {
	// giveUp: for cleanup, which must end even when the test stopped its server
	// (a client that reconnects forever keeps the whole `npm test` waiting).
	const redisOptions = options.giveUp
		? {maxRetriesPerRequest: 2, connectTimeout: 2000, retryStrategy: (times: number) => (times > 5 ? null : 100)}
		: {maxRetriesPerRequest: null};
	if (typeof target === 'string') return new Redis(target, redisOptions);
	return new Cluster(target.cluster.map(url => {
		const parsed = new URL(url);
		return {host: parsed.hostname, port: Number(parsed.port)};
	}), {redisOptions, ...(options.giveUp ? {clusterRetryStrategy: (times: number) => (times > 5 ? null : 100)} : {})});
}

/** Every master of a client (the client itself for a single server). */
export const mastersOf = (client: Redis | Cluster): Redis[] => (client instanceof Cluster ? client.nodes('master') : [client]);

/** SCAN a node for `match` and call `onKeys` with each batch. */
async function scanNode(node: Redis, match: string, onKeys: (keys: string[]) => Promise<void>): Promise<void> {
	let cursor = '0';
	do {
		const [next, keys] = await node.scan(cursor, 'MATCH', match, 'COUNT', 1000);
		cursor = next;
		if (keys.length > 0) await onKeys(keys);
	} while (cursor !== '0');
}

/** Glob-escapes a prefix for SCAN MATCH (a cluster prefix such as "{saccos}" has no glob characters, "[x]" would). */
const globEscape = (text: string): string => text.replace(/[*?[\]\\]/g, character => `\\${character}`);

/** Deletes every key under `prefix:` (SCAN + UNLINK on each master). Returns how many were deleted. */
export async function deletePrefix(target: RedisTarget, prefix: string): Promise<number> {
	const client = openClient(target, {giveUp: true});
	client.on('error', () => {});
	let deleted = 0;
	try {
		if (client instanceof Cluster) await waitForClusterReady(client);
		for (const node of mastersOf(client)) {
			await scanNode(node, `${globEscape(prefix)}:*`, async keys => {
				// Keys of one SCAN batch may hash to different slots: one UNLINK each.
				const pipeline = node.pipeline();
				for (const key of keys) pipeline.unlink(key);
				await pipeline.exec();
				deleted += keys.length;
			});
		}
	} finally {
		client.disconnect();
	}
	return deleted;
}

/** Every key under `prefix:` (sorted), for assertions on what exists. */
export async function keysUnder(client: Redis | Cluster, prefix: string): Promise<string[]> {
	const keys: string[] = [];
	for (const node of mastersOf(client)) {
		await scanNode(node, `${globEscape(prefix)}:*`, async batch => {
			keys.push(...batch);
		});
	}
	return keys.sort();
}

/**
 * A fingerprint of the WHOLE keyspace of one server: for every key (SCAN),
 * its TYPE, DUMP (the exact serialized value) and expiry, sorted by key.
 * The expiry is PEXPIRETIME (absolute, Redis 7) rather than PTTL, whose
 * value counts down between two digests of an unchanged keyspace; it still
 * catches any EXPIRE/PERSIST. Returns the hash and the entries (for a
 * readable diff when two digests differ).
 */
export async function keyspaceDigest(node: Redis): Promise<{hash: string; keys: number; entries: Map<string, string>}> {
	const names: string[] = [];
	await scanNode(node, '*', async batch => {
		names.push(...batch);
	});
	names.sort();
	const entries = new Map<string, string>();
	const hash = createHash('sha256');
	for (let start = 0; start < names.length; start += 500) {
		const slice = names.slice(start, start + 500);
		const pipeline = node.pipeline();
		for (const key of slice) {
			pipeline.type(key);
			pipeline.dumpBuffer(key);
			pipeline.pexpiretime(key);
		}
		const replies = (await pipeline.exec()) ?? [];
		slice.forEach((key, index) => {
			const [typeReply, dumpReply, expiryReply] = [replies[index * 3], replies[index * 3 + 1], replies[index * 3 + 2]];
			for (const reply of [typeReply, dumpReply, expiryReply]) if (reply?.[0]) throw reply[0];
			const dump = dumpReply?.[1] as Buffer | null;
			const entry = `${String(typeReply?.[1])}|${dump === null ? 'gone' : dump.toString('hex')}|${String(expiryReply?.[1])}`;
			entries.set(key, entry);
			hash.update(`${key.length}:${key}\u0000${entry}\n`);
		});
	}
	return {hash: hash.digest('hex'), keys: names.length, entries};
}

/** A short description of what differs between two digests. */
export function describeDigestDiff(before: Map<string, string>, after: Map<string, string>): string {
	const lines: string[] = [];
	for (const [key, value] of after) {
		if (!before.has(key)) lines.push(`created: ${key}`);
		else if (before.get(key) !== value) lines.push(`changed: ${key}`);
	}
	for (const key of before.keys()) if (!after.has(key)) lines.push(`deleted: ${key}`);
	return lines.slice(0, 30).join('\n') || '(no difference)';
}

/** `db0:keys=N,...` summed over every db of INFO keyspace. */
export async function infoKeyCount(node: Redis): Promise<number> {
	const info = await node.info('keyspace');
	let total = 0;
	for (const match of info.matchAll(/^db\d+:keys=(\d+)/gm)) total += Number(match[1]);
	return total;
}

/** The sum of `calls` over every command of INFO commandstats. */
export async function commandCalls(node: Redis): Promise<number> {
	const info = await node.info('commandstats');
	let total = 0;
	for (const match of info.matchAll(/^cmdstat_[^:]+:calls=(\d+)/gm)) total += Number(match[1]);
	return total;
}

/** How long a wait lasts by default before it fails (see waitFor). */
export const WAIT_BUDGET_MS = 30_000;

/**
 * Polls `check` until it returns a truthy value or the deadline passes.
 * The condition is what synchronizes; the short back-off only spares the CPU.
 * `what` may be a function, called only on a timeout (to show what was seen).
 * The default deadline is a budget for a failure to show, not a measure: a
 * wait often includes a worker's or the CLI's boot, which a loaded 2-core CI
 * machine stretches from under a second to several (beside `yes`, tests that
 * take 2 s idle missed 10 s). A test that judges a duration asserts it itself.
 */
export async function waitFor<T>(check: () => Promise<T> | T, what: string | (() => string), timeoutMs = WAIT_BUDGET_MS): Promise<NonNullable<T>> {
	const deadline = Date.now() + timeoutMs;
	let delay = 0;
	for (;;) {
		const value = await check();
		if (value) return value as NonNullable<T>;
		if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}`);
		await (delay === 0 ? nextTick() : sleep(delay));
		delay = Math.min(Math.max(delay * 2, 2), 50);
	}
}

/** Resolves once a Cluster client is ready (it connects lazily otherwise). */
export async function waitForClusterReady(cluster: Cluster): Promise<void> {
	if (cluster.status === 'ready') return;
	await new Promise<void>((resolve, reject) => {
		const onReady = () => {
			cluster.off('error', onError);
			resolve();
		};
		const onError = (error: Error) => {
			if (cluster.status === 'end') {
				cluster.off('ready', onReady);
				reject(error);
			}
		};
		cluster.once('ready', onReady);
		cluster.on('error', onError);
	});
}

/** The promise's value, or a rejection naming what was awaited after `ms` (the timer does not outlive it). */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	try {
		return await Promise.race([promise, new Promise<never>((_, reject) => {
			timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
		})]);
	} finally {
		clearTimeout(timer);
	}
}
