#!/usr/bin/env node
/**
 * Control for bench/cold-status.js (a helper, not a bench itself): the
 * "dashboard that SCANs the keyspace" design, whose cost grows with the number
 * of keys. It finds the queues with SCAN MATCH <prefix>:* (COUNT 1000, the whole
 * keyspace), then reads the same counts as bench/bare-status.js in one
 * pipeline. cold-status.js runs it on the empty and the 200k keyspace to show
 * that the fill is big enough to expose a keyspace-dependent design.
 *
 *   node bench/scan-status.js redis://127.0.0.1:PORT [prefix]
 */
import {Redis} from 'ioredis';

const url = process.argv[2];
if (!url) {
	process.stderr.write('usage: node bench/scan-status.js REDIS_URL [prefix]\n');
	process.exit(2);
}
const prefix = process.argv[3] ?? 'bull';
const MARKERS = new Set(['meta', 'id', 'events', 'wait', 'active', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed', 'repeat', 'paused']);

const redis = new Redis(url, {maxRetriesPerRequest: 0, retryStrategy: () => null});
const found = new Set(['high', 'default', 'emails', 'notifications']);
let cursor = '0';
let scanned = 0;
do {
	const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
	cursor = next;
	scanned += keys.length;
	for (const key of keys) {
		const rest = key.slice(prefix.length + 1);
		const colon = rest.lastIndexOf(':');
		if (colon > 0 && MARKERS.has(rest.slice(colon + 1))) found.add(rest.slice(0, colon));
	}
} while (cursor !== '0');

const queues = [...found];
const pipeline = redis.pipeline();
for (const queue of queues) {
	pipeline.llen(`${prefix}:${queue}:wait`);
	pipeline.llen(`${prefix}:${queue}:active`);
	for (const state of ['delayed', 'prioritized', 'waiting-children', 'completed', 'failed']) pipeline.zcard(`${prefix}:${queue}:${state}`);
	pipeline.hget(`${prefix}:${queue}:meta`, 'paused');
}
const replies = await pipeline.exec();
for (const [error] of replies) if (error) throw error;
const out = {scanned, queues: Object.fromEntries(queues.map((queue, index) => [queue, replies.slice(index * 8, index * 8 + 8).map(reply => reply[1])]))};
process.stdout.write(`${JSON.stringify(out)}\n`);
await redis.quit();
