/**
 * Search over a whole state (data/search.ts) against real Redis and real
 * BullMQ jobs (failed through a real Worker): a job found by a phone number
 * in its data and by its failed reason, in any case, newest first; the scan
 * limit, the match cap and an abort honoured and said; waiting jobs in the
 * order the pages show them; a 20 MB and a 2 MB job never read (SLOWLOG,
 * which lists the commands a script runs, shows no HGET of their data);
 * the whole keyspace unchanged; and a Redis user without @scripting.
 */
import {after, before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {randomUUID} from 'node:crypto';
import {Redis} from 'ioredis';
import {loadConfig} from '../../source/config.js';
import {connect, type Connection} from '../../source/data/connection.js';
import {getJobPage} from '../../source/data/jobs.js';
import {searchJobs} from '../../source/data/search.js';
import {UserError} from '../../source/errors.js';
import {makeFailedJobs, type FailedJobs} from '../helpers/failed-jobs.js';
import {makeHugeJobs, type HugeJobs} from '../helpers/huge-jobs.js';
import {deletePrefix, describeDigestDiff, keyspaceDigest} from '../helpers/keyspace.js';
import {startRedisServer, testRedisUrl, type RedisServer} from '../helpers/redis-server.js';

const COUNT = 600;
/** Job 123's phone number; every other job has one of its own. */
const phoneOf = (index: number) => `+2557${String(12_300_000 + index).padStart(8, '0')}`;
const reasonOf = (index: number) => (index === 77 ? 'SMSC rejected the message: invalid MSISDN' : `gateway timeout (job ${index})`);

async function open(url: string, prefix: string): Promise<Connection> {
	return connect(await loadConfig({redis: url, prefix}, {}), 'command');
}

describe('search: failed jobs of a real queue', {concurrency: false}, () => {
	const url = testRedisUrl();
	const prefix = `test-${randomUUID()}`;
	let made: FailedJobs;
	let connection: Connection;

	before(async () => {
		made = await makeFailedJobs({url, prefix, queue: 'sms', count: COUNT, name: 'sms.send', data: index => ({to: phoneOf(index), member: `M-${index}`, body: 'Your loan repayment is due'}), reason: reasonOf});
		connection = await open(url, prefix);
	});
	after(async () => {
		await connection?.close();
		await deletePrefix(url, prefix);
	});

	it('finds a job by a phone number in its data, and says it searched every failed job', async () => {
		const result = await searchJobs(connection, 'sms', 'failed', phoneOf(123));
		const job = made.jobs[123]!;
		assert.deepEqual(result.matches.map(match => match.id), [job.id]);
		assert.deepEqual(result.matches[0]!.data, job.data);
		assert.equal(result.matches[0]!.failedReason, reasonOf(123));
		assert.equal(result.matches[0]!.state, 'failed');
		assert.deepEqual({scanned: result.scanned, total: result.total, complete: result.complete, matched: result.matched, stoppedBy: result.stoppedBy}, {scanned: COUNT, total: COUNT, complete: true, matched: 1, stoppedBy: undefined});
	});

	it('finds a job by its failed reason, in any case; and jobs by their name', async () => {
		const byReason = await searchJobs(connection, 'sms', 'failed', 'smsc REJECTED');
		assert.deepEqual(byReason.matches.map(match => match.id), [made.jobs[77]!.id]);
		const byName = await searchJobs(connection, 'sms', 'failed', 'SMS.SEND', {maxMatches: 5});
		assert.equal(byName.matched, COUNT);
		assert.equal(byName.matches.length, 5);
	});

	it('matches come newest first, as the failed page shows them; at most maxMatches carried, all counted', async () => {
		const result = await searchJobs(connection, 'sms', 'failed', 'Gateway Timeout');
		assert.equal(result.matched, COUNT - 1);
		assert.equal(result.matches.length, 200);
		const page = await getJobPage(connection, 'sms', 'failed', 201, 0, 1024);
		assert.deepEqual(result.matches.map(match => match.id), page.jobs.map(job => job.id).filter(id => id !== made.jobs[77]!.id).slice(0, 200));
	});

	it('stops at maxScanned, newest first, and says it did not search them all', async () => {
		const pages: number[] = [];
		const result = await searchJobs(connection, 'sms', 'failed', 'M-', {maxScanned: 250, pageSize: 100, onProgress: progress => pages.push(progress.scanned)});
		assert.deepEqual({scanned: result.scanned, total: result.total, complete: result.complete, stoppedBy: result.stoppedBy, matched: result.matched}, {scanned: 250, total: COUNT, complete: false, stoppedBy: 'limit', matched: 250});
		assert.ok(pages.length >= 3 && pages.every(scanned => scanned <= 250), `progress after each page: ${pages.join(', ')}`);
		// The newest 250 were searched: the oldest job is not among them.
		const oldest = await searchJobs(connection, 'sms', 'failed', phoneOf(0), {maxScanned: 250});
		assert.equal(oldest.matched, 0);
		const newest = (await getJobPage(connection, 'sms', 'failed', 1, 0, 1024)).jobs[0]!;
		const newestIndex = Number((newest.data as {member: string}).member.slice(2));
		assert.equal((await searchJobs(connection, 'sms', 'failed', phoneOf(newestIndex), {maxScanned: 250})).matched, 1);
	});

	it('stops between two pages when its signal aborts, and says so', async () => {
		const controller = new AbortController();
		let calls = 0;
		const result = await searchJobs(connection, 'sms', 'failed', phoneOf(0), {
			pageSize: 100,
			signal: controller.signal,
			onProgress: () => {
				calls++;
				controller.abort();
			},
		});
		assert.equal(calls, 1, 'no page after the abort');
		assert.ok(result.scanned > 0 && result.scanned <= 100, `scanned ${result.scanned}`);
		assert.equal(result.complete, false);
		assert.equal(result.stoppedBy, 'signal');
		assert.equal(result.matched, 0);
	});

	it('refuses an unknown state and an empty text (usage errors)', async () => {
		await assert.rejects(searchJobs(connection, 'sms', 'failedd', 'x'), (error: unknown) => error instanceof UserError && error.code === 'usage' && /unknown state/.test(error.message));
		await assert.rejects(searchJobs(connection, 'sms', 'failed', '  '), (error: unknown) => error instanceof UserError && error.code === 'usage');
		await assert.rejects(searchJobs(connection, 'sms', 'failed', 'x', {maxScanned: 0}), (error: unknown) => error instanceof UserError && error.code === 'usage');
	});
});

describe('search: huge jobs, writes, a user without @scripting (private server)', {concurrency: false}, () => {
	let server: RedisServer;
	let admin: Redis;
	let connection: Connection;
	const prefix = `search-${randomUUID().slice(0, 8)}`;
	let made: HugeJobs;

	before(async () => {
		// Every command is logged, those a script runs included (Redis 7): what was read, field by field.
		server = await startRedisServer({args: ['--slowlog-log-slower-than', '0', '--slowlog-max-len', '100000']});
		admin = new Redis(server.url);
		made = await makeHugeJobs(server.url, prefix);
		connection = await open(server.url, prefix);
	});
	after(async () => {
		await connection?.close();
		admin?.disconnect();
		await server?.stop();
	});

	const logged = async (): Promise<string[]> => ((await admin.call('SLOWLOG', 'GET', '100000')) as Array<[number, number, number, string[]]>).map(entry => entry[3].join(' '));

	it('waiting jobs come next to run first; the 20 MB and 2 MB jobs are not read, and are counted as such', async () => {
		await admin.call('SLOWLOG', 'RESET');
		const result = await searchJobs(connection, 'reports', 'waiting', '@EXAMPLE.com');
		assert.deepEqual(result.matches.map(match => match.id), made.small.map(job => job.id));
		assert.deepEqual({scanned: result.scanned, total: result.total, complete: result.complete, unread: result.unread, unreadAbove: result.unreadAbove}, {scanned: 5, total: 5, complete: true, unread: 2, unreadAbove: 256 * 1024});
		const commands = await logged();
		for (const job of [made.big, made.mid]) {
			const key = `${prefix}:reports:${job.id}`;
			assert.ok(commands.includes(`HSTRLEN ${key} data`), `the size of ${key}'s data was asked`);
			assert.ok(!commands.includes(`HGET ${key} data`), `${key}'s data was read: ${commands.filter(command => command.includes(key)).join('; ')}`);
		}
		// Its end is therefore not found; what is said is what was searched.
		const end = await searchJobs(connection, 'reports', 'waiting', 'END-OF-20MB');
		assert.equal(end.matched, 0);
		assert.equal(end.unread, 2);
	});

	it('a search writes nothing: the whole keyspace is unchanged', async () => {
		await makeFailedJobs({url: server.url, prefix, queue: 'sms', count: 30, reason: index => `timeout ${index}`});
		await admin.del(`${prefix}:sms:stalled-check`);
		const before = await keyspaceDigest(admin);
		for (const state of ['waiting', 'failed', 'completed', 'delayed'] as const) {
			await searchJobs(connection, 'reports', state, 'END');
			await searchJobs(connection, 'sms', state, 'timeout 7');
		}
		const after = await keyspaceDigest(admin);
		assert.equal(after.hash, before.hash, describeDigestDiff(before.entries, after.entries));
	});

	it('a Redis user without @scripting searches too: fields up to the searched bytes, larger ones counted as unread', async () => {
		await admin.call('ACL', 'SETUSER', 'noscripts', 'on', '>noscripts-pw', '~*', '&*', '+@all', '-@scripting');
		const limited = await open(server.url.replace('redis://', 'redis://noscripts:noscripts-pw@'), prefix);
		try {
			const result = await searchJobs(limited, 'reports', 'waiting', 'b@example');
			assert.deepEqual(result.matches.map(match => match.id), [made.small[1]!.id]);
			assert.deepEqual({scanned: result.scanned, complete: result.complete, unread: result.unread, unreadAbove: result.unreadAbove}, {scanned: 5, complete: true, unread: 2, unreadAbove: 16 * 1024});
			const failed = await searchJobs(limited, 'sms', 'failed', 'TIMEOUT 7');
			assert.equal(failed.matched, 1);
		} finally {
			await limited.close();
		}
	});
});
