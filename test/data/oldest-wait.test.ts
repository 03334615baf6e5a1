/**
 * `oldestWaitMs` in the snapshot (status --json, the console, monitor
 * --max-wait): the age of the job next in line, from when it became due,
 * over waiting and prioritized jobs — compared with the job's own timestamp
 * and delay as BullMQ stored them — at a cost in commands that does not
 * depend on how many jobs wait.
 */
import {after, before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {randomUUID} from 'node:crypto';
import {Queue} from 'bullmq';
import {Redis} from 'ioredis';
import {defaultConfig, type Config} from '../../source/config.js';
import {connect, type Connection} from '../../source/data/connection.js';
import {takeSnapshot} from '../../source/data/snapshot.js';
import {commandCalls, deletePrefix} from '../helpers/keyspace.js';
import {startRedisServer, testRedisUrl, type RedisServer} from '../helpers/redis-server.js';

const configFor = (url: string, prefix: string): Config => ({...defaultConfig(), prefix, redis: {kind: 'url', url}, schedules: []});

describe('oldestWaitMs: how long the job next in line has waited', () => {
	const url = testRedisUrl();
	const prefix = `test-wait-${randomUUID().slice(0, 8)}`;
	const client = new Redis(url, {maxRetriesPerRequest: null});
	let connection: Connection;
	const queues: Queue[] = [];
	const queue = (name: string) => {
		const made = new Queue(name, {connection: client, prefix});
		queues.push(made);
		return made;
	};

	before(async () => {
		connection = await connect(configFor(url, prefix));
	});
	after(async () => {
		for (const made of queues) await made.close();
		await connection?.close();
		await deletePrefix(url, prefix);
		client.disconnect();
	});

	/** The snapshot's age of one queue, and the bounds it must fall in: now − due, read before and after. */
	async function ageOf(name: string, due: number): Promise<{age: number | null; low: number; high: number}> {
		const low = Date.now() - due;
		const snapshot = await takeSnapshot(connection, configFor(url, prefix), [name], {onlyTheseQueues: true});
		return {age: snapshot.queues[0]!.oldestWaitMs, low, high: Date.now() - due};
	}

	it('is the age of the next waiting job, from its timestamp', async () => {
		const emails = queue('emails');
		const oldest = await emails.add('send', {}, {timestamp: Date.now() - 30_000});
		await emails.add('send', {}, {timestamp: Date.now() - 5000});
		const {age, low, high} = await ageOf('emails', oldest.timestamp);
		assert.ok(age !== null && age >= low && age <= high, `oldestWaitMs ${age}, expected ${low}–${high}`);
	});

	it('counts a delayed job from when it became due (timestamp + delay), not from when it was created', async () => {
		const reports = queue('reports');
		// Created 60 s ago with a 50 s delay, promoted by BullMQ: due 10 s ago.
		const job = await reports.add('generate', {}, {timestamp: Date.now() - 60_000, delay: 50_000});
		await job.promote();
		assert.equal(await reports.getWaitingCount(), 1);
		const {age, low, high} = await ageOf('reports', job.timestamp + 50_000);
		assert.ok(age !== null && age >= low && age <= high, `oldestWaitMs ${age}, expected ${low}–${high} (not ~60 s)`);
	});

	it('takes the older of the next waiting and the next prioritized job', async () => {
		const high = queue('high');
		await high.add('plain', {}, {timestamp: Date.now() - 30_000});
		const urgent = await high.add('urgent', {}, {priority: 1, timestamp: Date.now() - 120_000});
		const {age, low, high: upper} = await ageOf('high', urgent.timestamp);
		assert.ok(age !== null && age >= low && age <= upper, `oldestWaitMs ${age}, expected ${low}–${upper}`);
	});

	it('is null when no job waits (delayed and finished jobs do not wait)', async () => {
		const quiet = queue('quiet');
		await quiet.add('later', {}, {delay: 3_600_000});
		const snapshot = await takeSnapshot(connection, configFor(url, prefix), ['quiet', 'never-used'], {onlyTheseQueues: true});
		assert.deepEqual(snapshot.queues.map(entry => entry.oldestWaitMs), [null, null]);
		assert.deepEqual(snapshot.warnings, []);
	});
});

/**
 * A redis-server of the calling describe's own (its INFO commandstats, script cache and ACL users
 * are the tests' alone) and an admin client on it; both are there from the describe's first test.
 */
function privateServer(): {server: RedisServer; admin: Redis} {
	const box = {} as {server: RedisServer; admin: Redis};
	before(async () => {
		box.server = await startRedisServer();
		box.admin = new Redis(box.server.url);
	});
	after(async () => {
		box.admin?.disconnect();
		await box.server?.stop();
	});
	return box;
}

describe('oldestWaitMs costs the same whatever the number of waiting jobs', () => {
	const box = privateServer();
	const prefix = 'flat';

	/** `count` waiting and `count` prioritized jobs as BullMQ stores them, the oldest `ageMs` old. */
	async function fill(queue: string, count: number, ageMs: number): Promise<void> {
		const now = Date.now();
		for (let start = 0; start < count; start += 2000) {
			const pipeline = box.admin.pipeline();
			for (let id = start + 1; id <= Math.min(count, start + 2000); id++) {
				for (const kind of ['w', 'p']) {
					pipeline.hset(`${prefix}:${queue}:${kind}${id}`, 'name', 'bulk', 'data', '{}', 'opts', '{}', 'timestamp', String(now - ageMs + id), 'delay', '0', 'priority', kind === 'p' ? '5' : '0');
				}
				// BullMQ pushes new jobs on the left and takes them from the right: the oldest is at the tail.
				pipeline.lpush(`${prefix}:${queue}:wait`, `w${id}`);
				pipeline.zadd(`${prefix}:${queue}:prioritized`, 5 * 2 ** 32 + id, `p${id}`);
			}
			await pipeline.exec();
		}
	}

	it('the same commands for 1 and for 20,000 waiting jobs, and the right age in both', async () => {
		await fill('small', 1, 40_000);
		await fill('big', 10_000, 90_000);
		const connection = await connect(configFor(box.server.url, prefix));
		try {
			const cost = async (name: string) => {
				const before = await commandCalls(box.admin);
				const snapshot = await takeSnapshot(connection, configFor(box.server.url, prefix), [name], {onlyTheseQueues: true});
				return {calls: (await commandCalls(box.admin)) - before, age: snapshot.queues[0]!.oldestWaitMs!};
			};
			const small = await cost('small');
			const big = await cost('big');
			assert.equal(big.calls, small.calls, `1 job: ${small.calls} commands; 20,000 jobs: ${big.calls}`);
			assert.ok(small.age >= 39_000 && small.age < 45_000, `small: ${small.age}`);
			assert.ok(big.age >= 89_000 && big.age < 95_000, `big: ${big.age}`);
		} finally {
			await connection.close();
		}
	});
});

describe('the queue script is sent once, and again when the server forgot it', () => {
	const box = privateServer();
	const prefix = 'sha';

	/** Calls of EVAL and EVALSHA so far (a NOSCRIPT one too), from INFO commandstats. */
	async function scriptCalls(): Promise<{eval: number; evalsha: number}> {
		const info = await box.admin.info('commandstats');
		const calls = (name: string) => Number(new RegExp(`^cmdstat_${name}:calls=(\\d+)`, 'm').exec(info)?.[1] ?? 0);
		return {eval: calls('eval'), evalsha: calls('evalsha')};
	}
	/** The EVAL and EVALSHA calls since `before`, and the count now for the next step. */
	async function callsSince(before: {eval: number; evalsha: number}): Promise<{sent: {eval: number; evalsha: number}; now: {eval: number; evalsha: number}}> {
		const now = await scriptCalls();
		return {sent: {eval: now.eval - before.eval, evalsha: now.evalsha - before.evalsha}, now};
	}

	it('sends the script text on the first snapshot only, and still reads the age after SCRIPT FLUSH', async () => {
		await box.admin.hset(`${prefix}:emails:1`, 'name', 'send', 'data', '{}', 'opts', '{}', 'timestamp', String(Date.now() - 20_000));
		await box.admin.lpush(`${prefix}:emails:wait`, '1');
		const connection = await connect(configFor(box.server.url, prefix));
		try {
			const age = async () => {
				const snapshot = await takeSnapshot(connection, configFor(box.server.url, prefix), ['emails', 'sms'], {onlyTheseQueues: true});
				assert.deepEqual(snapshot.warnings, []);
				return snapshot.queues[0]!.oldestWaitMs;
			};
			let count = await scriptCalls();
			const step = async (expected: {eval: number; evalsha: number}, what: string) => {
				assert.ok((await age())! >= 20_000, what);
				const {sent, now} = await callsSince(count);
				assert.deepEqual(sent, expected, what);
				count = now;
			};
			await step({eval: 2, evalsha: 0}, 'the first snapshot sends the text, once per queue');
			await step({eval: 0, evalsha: 2}, 'the next one sends only the SHA1');
			await box.admin.script('FLUSH');
			await step({eval: 2, evalsha: 2}, 'a forgotten script: NOSCRIPT, then the text again, and the age all the same');
			await step({eval: 0, evalsha: 2}, 'then the SHA1 again');
		} finally {
			await connection.close();
		}
	});
});

describe('a user without @scripting still gets the counts, in one round trip after the first', () => {
	const box = privateServer();
	const prefix = 'noscript';

	before(async () => {
		await box.admin.call('ACL', 'SETUSER', 'viewer', 'on', '>viewer-pw', '~*', '&*', '+@all', '-@scripting');
	});

	/** How many times Redis refused the viewer's scripts (the count of its ACL LOG entries for eval/evalsha). */
	async function refusals(): Promise<number> {
		const log = (await box.admin.call('ACL', 'LOG')) as unknown[][];
		let count = 0;
		for (const entry of log) {
			const fields = new Map<string, unknown>();
			for (let index = 0; index < entry.length; index += 2) fields.set(String(entry[index]), entry[index + 1]);
			if (fields.get('username') === 'viewer' && /^eval/.test(String(fields.get('object')))) count += Number(fields.get('count'));
		}
		return count;
	}

	it('reads every count and the paused flag, says why the wait is unknown, and does not ask again', async () => {
		const now = Date.now();
		await box.admin.hset(`${prefix}:emails:1`, 'name', 'send', 'data', '{}', 'opts', '{}', 'timestamp', String(now - 20_000));
		await box.admin.lpush(`${prefix}:emails:wait`, '1');
		await box.admin.zadd(`${prefix}:emails:failed`, now, 'f1', now, 'f2');
		await box.admin.hset(`${prefix}:emails:meta`, 'paused', '1', 'version', 'bullmq:6');
		const url = box.server.url.replace('redis://', 'redis://viewer:viewer-pw@');
		const connection = await connect(configFor(url, prefix));
		try {
			const read = async () => takeSnapshot(connection, configFor(url, prefix), ['emails'], {onlyTheseQueues: true});
			const first = await read();
			const emails = first.queues[0]!;
			assert.equal(emails.counts.waiting, 1);
			assert.equal(emails.counts.failed, 2);
			assert.equal(emails.paused, true);
			assert.equal(emails.exists, true);
			assert.equal(emails.oldestWaitMs, null);
			assert.match(first.warnings.join('\n'), /cannot read how long jobs have waited \(oldestWaitMs\): NOPERM/);
			const refusedOnce = await refusals();
			assert.ok(refusedOnce >= 1, 'the first snapshot tried the script');
			const second = await read();
			assert.deepEqual(second.queues[0]!.counts, emails.counts);
			assert.match(second.warnings.join('\n'), /NOPERM/);
			assert.equal(await refusals(), refusedOnce, 'the next snapshot reads by plain commands at once');
		} finally {
			await connection.close();
		}
	});
});
