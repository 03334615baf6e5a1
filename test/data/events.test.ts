/**
 * followEvents: one blocking connection follows the event streams of several
 * queues, delivers what happens after it started (in order, per queue),
 * loses nothing between two XREAD calls, and stops when its signal aborts.
 */
import {after, before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {randomUUID} from 'node:crypto';
import {Queue} from 'bullmq';
import {Redis} from 'ioredis';
import {defaultConfig, type Config} from '../../source/config.js';
import {connect, type Connection} from '../../source/data/connection.js';
import {followEvents, type QueueEvent} from '../../source/data/events.js';
import {deletePrefix, waitFor} from '../helpers/keyspace.js';
import {testRedisUrl} from '../helpers/redis-server.js';

type Follower = {
	events: QueueEvent[];
	abort: AbortController;
	done: Promise<void>;
	connection: Connection;
};

describe('followEvents', () => {
	const url = testRedisUrl();
	const prefix = `test-${randomUUID()}`;
	const config: Config = {...defaultConfig(), prefix, redis: {kind: 'url', url}};
	let admin: Redis;
	let emails: Queue;
	let notifications: Queue;

	before(async () => {
		admin = new Redis(url, {maxRetriesPerRequest: null});
		emails = new Queue('emails', {connection: admin, prefix});
		notifications = new Queue('notifications', {connection: admin, prefix});
	});

	after(async () => {
		await emails?.close();
		await notifications?.close();
		await admin?.quit();
		await deletePrefix(url, prefix);
	});

	/**
	 * Starts following and resolves once the follower's own connection is
	 * parked in XREAD (found by its client id), so anything added from now on
	 * must be delivered.
	 */
	async function follow(queues: string[], options: {count?: number; blockMs?: number} = {}): Promise<Follower> {
		const connection = await connect(config, 'blocking');
		const clientId = Number(await connection.client.client('ID'));
		const events: QueueEvent[] = [];
		const abort = new AbortController();
		const done = followEvents(connection, queues, event => events.push(event), {signal: abort.signal, ...options});
		done.catch(() => undefined); // awaited by the test; avoid an unhandled rejection meanwhile
		await waitFor(async () => {
			const list = await admin.client('LIST') as string;
			return list.split('\n').some(line => line.includes(`id=${clientId} `) && /\bcmd=xread\b/.test(line));
		}, 'the follower to block in XREAD');
		return {events, abort, done, connection};
	}

	async function stop(follower: Follower): Promise<void> {
		follower.abort.abort();
		await Promise.race([
			follower.done,
			new Promise<never>((_, reject) => {
				setTimeout(() => reject(new Error('followEvents did not return within 5 s of abort')), 5000).unref();
			}),
		]);
		await follower.connection.close();
	}

	const added = (events: QueueEvent[], queue: string): string[] =>
		events.filter(event => event.queue === queue && event.event === 'added').map(event => event.jobId!);

	it('delivers the added events of two queues after it starts, in order, and stops on abort', async () => {
		// History before following is not replayed.
		const old = await emails.add('before', {});
		const follower = await follow(['emails', 'notifications']);
		try {
			const ids: Record<string, string[]> = {emails: [], notifications: []};
			for (const [queue, target] of [['emails', emails], ['notifications', notifications], ['emails', emails], ['notifications', notifications], ['emails', emails]] as const) {
				ids[queue]!.push(String((await target.add(`job-${queue}`, {n: ids[queue]!.length})).id));  
			}
			await waitFor(() => added(follower.events, 'emails').length === 3 && added(follower.events, 'notifications').length === 2, 'five added events');
			assert.deepEqual(added(follower.events, 'emails'), ids['emails']);
			assert.deepEqual(added(follower.events, 'notifications'), ids['notifications']);
			assert.ok(!follower.events.some(event => event.jobId === old.id && event.queue === 'emails' && event.event === 'added'), 'an event from before it started was replayed');
			// Stream order: entry ids increase per queue, and times come from them.
			for (const queue of ['emails', 'notifications']) {
				const entries = follower.events.filter(event => event.queue === queue);
				const order = entries.map(event => event.id.split('-').map(Number) as [number, number]);
				for (let i = 1; i < order.length; i++) {
					assert.ok(order[i]![0] > order[i - 1]![0] || (order[i]![0] === order[i - 1]![0] && order[i]![1] > order[i - 1]![1]), `${queue} events out of order`);
				}
				for (const event of entries) assert.equal(event.time, Number(event.id.split('-')[0]));
			}
			const job = follower.events.find(event => event.event === 'added');
			assert.equal(job?.fields['name']?.startsWith('job-'), true, 'the fields carry the job name');
		} finally {
			await stop(follower);
		}
	});

	it('loses no event added between two XREAD calls', async () => {
		// Small reads (10 entries per stream) force many XREAD calls while jobs keep coming.
		const follower = await follow(['emails', 'notifications'], {count: 10});
		const expected: Record<string, string[]> = {emails: [], notifications: []};
		try {
			const batches = Array.from({length: 20}, (_, batch) => batch);
			await Promise.all(batches.map(async batch => {
				const target = batch % 2 === 0 ? emails : notifications;
				const jobs = await target.addBulk(Array.from({length: 25}, (_, n) => ({name: `bulk-${batch}`, data: {n}})));
				expected[target.name]!.push(...jobs.map(job => String(job.id)));
			}));
			await waitFor(() => added(follower.events, 'emails').length >= 250 && added(follower.events, 'notifications').length >= 250, 'all 500 added events', 20_000);
			for (const queue of ['emails', 'notifications']) {
				const got = added(follower.events, queue);
				assert.equal(got.length, 250, `${queue}: ${got.length} added events`);
				assert.deepEqual([...got].sort(), [...expected[queue]!].sort(), `${queue}: the same jobs`);
				// BullMQ ids are increasing integers, so stream order is id order.
				assert.deepEqual(got.map(Number), [...got.map(Number)].sort((a, b) => a - b), `${queue}: in order`);
			}
		} finally {
			await stop(follower);
		}
	});
});
