/**
 * `flush` (queue:flush) through the built binary: it deletes failed jobs only
 * when confirmed, never in read-only mode, and --older-than spares recent
 * failures. Every refusal is audited.
 */
import {describe, it} from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import {describeResult, parseJson, writeConfig} from '../helpers/cli.js';
import {ageFailures, makeFailedJobs, placement, scope} from '../helpers/failed-jobs.js';
import {testRedisUrl} from '../helpers/redis-server.js';

const url = testRedisUrl();
const QUEUE = 'loans';

const head = (body: Record<string, unknown>) => ({queue: body['queue'], action: body['action'], count: body['count'], dryRun: body['dryRun']});

describe('flush', () => {
	it('without --yes and without a terminal: exit 6, nothing deleted, the refusal audited', async t => {
		const s = scope(t, url);
		const made = await makeFailedJobs({url, prefix: s.prefix, queue: QUEUE, count: 50});
		const result = await s.cli(['flush', '--queue', QUEUE]);
		assert.equal(result.code, 6, describeResult(result));
		assert.match(result.stderr, /--yes/);
		assert.equal(await s.queue(QUEUE).getFailedCount(), 50);
		assert.ok(await s.queue(QUEUE).getJob(made.jobs[0]!.id), 'the job hash is still there');
		const [record] = await s.audit();
		assert.equal(record?.['action'], 'flush');
		assert.equal(record?.['result'], 'refused');
		assert.equal(record?.['queue'], QUEUE);
	});

	it('--dry-run reports the count and deletes nothing', async t => {
		const s = scope(t, url);
		await makeFailedJobs({url, prefix: s.prefix, queue: QUEUE, count: 1500});
		const before = await placement(s.client, s.prefix, QUEUE);
		const result = await s.cli(['flush', '--queue', QUEUE, '--dry-run', '--json']);
		assert.equal(result.code, 0, describeResult(result));
		assert.deepEqual(head(parseJson(result)), {queue: QUEUE, action: 'flush', count: 1500, dryRun: true});
		assert.deepEqual(await placement(s.client, s.prefix, QUEUE), before);
		const human = await s.cli(['flush', '--queue', QUEUE, '--dry-run']);
		assert.equal(human.code, 0, describeResult(human));
		assert.match(human.stdout, /dry run.*1500/i);
		const [record] = await s.audit();
		assert.equal(record?.['result'], 'dry-run');
		assert.equal(record?.['count'], 1500);
	});

	it('--read-only refuses with exit 6 even with --yes; audit --json shows the refusal with user and host', async t => {
		const s = scope(t, url);
		await makeFailedJobs({url, prefix: s.prefix, queue: QUEUE, count: 20});
		const result = await s.cli(['flush', '--queue', QUEUE, '--yes', '--read-only', '--json']);
		assert.equal(result.code, 6, describeResult(result));
		assert.equal(parseJson(result).error?.code, 'refused');
		assert.equal(await s.queue(QUEUE).getFailedCount(), 20);
		const records = await s.audit();
		const refused = records.filter(record => record['result'] === 'refused');
		assert.equal(refused.length, 1, JSON.stringify(records));
		assert.deepEqual({action: refused[0]!['action'], queue: refused[0]!['queue'], count: refused[0]!['count'], user: refused[0]!['user'], host: refused[0]!['host']},
			{action: 'flush', queue: QUEUE, count: 0, user: os.userInfo().username, host: os.hostname()});
		assert.match(String(refused[0]!['command']), /flush --queue loans --yes --read-only/);

		// The same through the configuration file.
		const config = writeConfig(`read-only-${s.prefix}.json`, {readOnly: true});
		const viaConfig = await s.cli(['flush', '--queue', QUEUE, '--yes', '--config', config]);
		assert.equal(viaConfig.code, 6, describeResult(viaConfig));
		assert.equal(await s.queue(QUEUE).getFailedCount(), 20);
	});

	it('--older-than 1h deletes the old failures and keeps the recent ones', async t => {
		const s = scope(t, url);
		const made = await makeFailedJobs({url, prefix: s.prefix, queue: QUEUE, count: 1200});
		const old = made.jobs.filter(job => job.index % 2 === 0).map(job => job.id);
		const recent = made.jobs.filter(job => job.index % 2 === 1).map(job => job.id);
		await ageFailures(s.client, s.prefix, QUEUE, old, 2 * 3_600_000);

		const dry = await s.cli(['flush', '--queue', QUEUE, '--older-than', '1h', '--dry-run', '--json']);
		assert.deepEqual(head(parseJson(dry)), {queue: QUEUE, action: 'flush', count: old.length, dryRun: true});

		const result = await s.cli(['flush', '--queue', QUEUE, '--older-than', '1h', '--yes', '--json']);
		assert.equal(result.code, 0, describeResult(result));
		assert.deepEqual(head(parseJson(result)), {queue: QUEUE, action: 'flush', count: old.length, dryRun: false});
		const where = await placement(s.client, s.prefix, QUEUE);
		assert.deepEqual(new Set(where.failed), new Set(recent), 'exactly the recent failures remain');
		const queue = s.queue(QUEUE);
		assert.equal(await queue.getJob(old[0]!), undefined, 'an old failure is gone, hash and all');
		assert.equal((await queue.getJob(recent[0]!))?.failedReason, made.byId.get(recent[0]!)!.reason, 'a recent failure is intact');

		// And without --older-than, everything goes.
		const rest = await s.cli(['flush', '--queue', QUEUE, '--yes', '--json']);
		assert.equal(parseJson(rest).count, recent.length);
		assert.equal(await queue.getFailedCount(), 0);
	});
});
