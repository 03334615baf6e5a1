#!/usr/bin/env node
/**
 * Baseline for bench/cold-status.js (a helper, not a bench itself).
 *
 * The least a Node program can do to answer "how many jobs per state in each
 * queue": import ioredis, connect, ONE pipeline with the same counts that
 * `saccos-queue status --json` reads for the four seed queues, print JSON, quit.
 *
 *   node bench/bare-status.js redis://127.0.0.1:PORT [prefix] [queue,queue,…]
 */
import {Redis} from 'ioredis';

const url = process.argv[2];
if (!url) {
	process.stderr.write('usage: node bench/bare-status.js REDIS_URL [prefix] [queue,…]\n');
	process.exit(2);
}
const prefix = process.argv[3] ?? 'bull';
const queues = (process.argv[4] ?? 'high,default,emails,notifications').split(',');

// BullMQ's key suffix per state: lists for wait/active, sorted sets for the rest.
const LISTS = [['waiting', 'wait'], ['active', 'active']];
const ZSETS = ['delayed', 'prioritized', 'waiting-children', 'completed', 'failed'];

const redis = new Redis(url, {maxRetriesPerRequest: 0, retryStrategy: () => null});
const pipeline = redis.pipeline();
for (const queue of queues) {
	for (const [, suffix] of LISTS) pipeline.llen(`${prefix}:${queue}:${suffix}`);
	for (const state of ZSETS) pipeline.zcard(`${prefix}:${queue}:${state}`);
	pipeline.hget(`${prefix}:${queue}:meta`, 'paused');
}
const replies = await pipeline.exec();

const out = {};
let index = 0;
for (const queue of queues) {
	const counts = {};
	for (const [state] of LISTS) counts[state] = Number(replies[index++][1]);
	for (const state of ZSETS) counts[state] = Number(replies[index++][1]);
	const paused = replies[index++][1] !== null;
	out[queue] = {paused, counts};
}
for (const [error] of replies) if (error) throw error;

process.stdout.write(`${JSON.stringify(out)}\n`);
await redis.quit();
