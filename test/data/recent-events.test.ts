/**
 * followEvents with `recent`: the latest events already in the streams come
 * first (per queue, merged by time, the newest `total` of them, oldest
 * first), then following goes on from where that read ended, so an event
 * added while it starts is delivered exactly once, never twice, never lost.
 */
import {after, before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {randomUUID} from 'node:crypto';
import {Queue} from 'bullmq';
import {Redis} from 'ioredis';
import {defaultConfig, type Config} from '../../source/config.js';
import {connect} from '../../source/data/connection.js';
import {compareEvents, followEvents, type QueueEvent, type RecentEvents} from '../../source/data/events.js';
import {deletePrefix, waitFor} from '../helpers/keyspace.js';
import {testRedisUrl} from '../helpers/redis-server.js';

describe('followEvents, opening with the recent events', () => {
	const url = testRedisUrl();
	const prefix = `test-${randomUUID()}`;
	const config: Config = {...defaultConfig(), prefix, redis: {kind: 'url', url}};
	let admin: Redis;
	const queues: Queue[] = [];
	const queue = (name: string) => {
		const created = new Queue(name, {connection: admin, prefix});
		queues.push(created);
		return created;
	};

	before(() => {
		admin = new Redis(url, {maxRetriesPerRequest: null});
	});

	after(async () => {
		for (const created of queues) await created.close();
		await admin?.quit();
		await deletePrefix(url, prefix);
	});

	/** Follows until `until` holds for the events delivered so far, then stops; returns them. */
	async function collect(names: string[], recent: RecentEvents, until: (events: QueueEvent[]) => boolean, during?: () => Promise<void>): Promise<QueueEvent[]> {
		const connection = await connect(config, 'blocking');
		const events: QueueEvent[] = [];
		const abort = new AbortController();
		let ready = false;
		const done = followEvents(connection, names, event => events.push(event), {signal: abort.signal, recent, blockMs: 200, onReady: () => (ready = true)});
		done.catch(() => undefined);
		try {
			await during?.();
			await waitFor(() => ready && until(events), 'the events', 20_000);
		} finally {
			abort.abort();
			await done;
			await connection.close();
		}
		return events;
	}

	/** The stream's own entries, oldest first, read with XRANGE (not the code under test). */
	const streamIds = async (name: string): Promise<string[]> => ((await admin.xrange(`${prefix}:${name}:events`, '-', '+')) as Array<[string, string[]]>).map(([id]) => id);

	it('delivers the last entries of each stream, merged by time, before following', async () => {
		const emails = queue('emails');
		const sms = queue('sms');
		for (let round = 0; round < 6; round++) {
			await emails.add('send', {round});
			await sms.add('text', {round});
		}
		const emailIds = await streamIds('emails');
		const smsIds = await streamIds('sms');
		const events = await collect(['emails', 'sms'], {perQueue: 4, total: 100}, got => got.length >= 8);
		assert.equal(events.length, 8, JSON.stringify(events.map(event => [event.queue, event.id])));
		assert.deepEqual(events.filter(event => event.queue === 'emails').map(event => event.id), emailIds.slice(-4));
		assert.deepEqual(events.filter(event => event.queue === 'sms').map(event => event.id), smsIds.slice(-4));
		for (let i = 1; i < events.length; i++) assert.ok(compareEvents(events[i - 1]!, events[i]!) < 0, `not in time order at ${i}: ${events[i - 1]!.id} ${events[i]!.id}`);
		assert.ok(events.some(event => event.event === 'added' && event.fields['name'] === 'send'), 'the fields are read as in following');
	});

	it('keeps only the newest `total` of them when many queues have history', async () => {
		const names = ['a', 'b', 'c'];
		for (const name of names) {
			const target = queue(name);
			for (let n = 0; n < 5; n++) await target.add('job', {n});
		}
		const all = (await Promise.all(names.map(async name => (await streamIds(name)).map(id => ({queue: name, id}))))).flat();
		const newest = [...all].sort((a, b) => compareEvents(a as QueueEvent, b as QueueEvent)).slice(-7);
		const events = await collect(names, {perQueue: 100, total: 7}, got => got.length >= 7);
		assert.deepEqual(events.map(event => [event.queue, event.id]), newest.map(entry => [entry.queue, entry.id]));
	});

	it('an event added while it starts is delivered once: none lost, none twice, between the history and the follow', async () => {
		const busy = queue('busy');
		const added: string[] = [];
		const produce = async () => {
			for (let batch = 0; batch < 20; batch++) {
				const jobs = await busy.addBulk(Array.from({length: 15}, (_, n) => ({name: 'bulk', data: {batch, n}})));
				added.push(...jobs.map(job => String(job.id)));
			}
		};
		// The first jobs are in the stream before following starts; the rest come while it reads the
		// history and begins to follow. The history asks for more than the stream holds, so every
		// added event must arrive exactly once, whichever read brought it.
		await busy.add('first', {});
		added.push('1');
		const producing = produce();
		const events = await collect(['busy'], {perQueue: 100_000, total: 100_000}, got => got.filter(event => event.event === 'added').length >= 301, async () => producing);
		const got = events.filter(event => event.event === 'added').map(event => event.jobId);
		assert.equal(got.length, 301, `${got.length} added events`);
		assert.deepEqual(got, added.map(String).sort((a, b) => Number(a) - Number(b)));
		assert.equal(new Set(events.map(event => event.id)).size, events.length, 'an entry delivered twice');
	});
});
