/**
 * What scripts and auditors rely on, across every writing command: `--json`
 * prints `{"queue","action","count","dryRun"}` (README, "Commands"), and every
 * action — allowed, dry run or refused — is in `audit --json` with action,
 * queue, count, result, user and host.
 */
import {describe, it} from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import {describeResult, parseJson, scratchDir} from '../helpers/cli.js';
import {makeCompletedJobs, makeFailedJobs, scope} from '../helpers/failed-jobs.js';
import {testRedisUrl} from '../helpers/redis-server.js';

const url = testRedisUrl();

type Case = {
	label: string;
	/** Arguments without --yes/--dry-run/--read-only/--json. */
	args: string[];
	action: string;
	queue: string | null;
	count: number;
};

describe('--json and the audit trail of every writing command', () => {
	it('allowed, dry run and refused: the JSON shape, the exit code and an audit record each', async t => {
		const s = scope(t, url);
		const archiveFile = path.join(scratchDir(), `${s.prefix}-audit.jsonl`);
		const retried = await makeFailedJobs({url, prefix: s.prefix, queue: 'retry-ids', count: 5});
		await makeFailedJobs({url, prefix: s.prefix, queue: 'retry-all', count: 6, priorityEvery: 2});
		await makeFailedJobs({url, prefix: s.prefix, queue: 'flush-q', count: 7});
		await makeFailedJobs({url, prefix: s.prefix, queue: 'archive-q', count: 8});
		await makeCompletedJobs({url, prefix: s.prefix, queue: 'clean-q', count: 9});
		await makeCompletedJobs({url, prefix: s.prefix, queue: 'pause-q', count: 1});

		const cases: Case[] = [
			{label: 'dispatch', args: ['dispatch', 'default', 'loan.approved', '--data', '{"loanId":42}'], action: 'dispatch', queue: 'default', count: 1},
			{label: 'pause', args: ['pause', 'pause-q'], action: 'pause', queue: 'pause-q', count: 0},
			{label: 'resume', args: ['resume', 'pause-q'], action: 'resume', queue: 'pause-q', count: 0},
			{label: 'retry ids', args: ['retry', 'retry-ids', retried.jobs[0]!.id, retried.jobs[1]!.id], action: 'retry', queue: 'retry-ids', count: 2},
			{label: 'retry --all', args: ['retry', '--all', '--queue', 'retry-all'], action: 'retry', queue: 'retry-all', count: 6},
			{label: 'flush', args: ['flush', '--queue', 'flush-q'], action: 'flush', queue: 'flush-q', count: 7},
			{label: 'archive', args: ['archive', '--older-than', '0s', '--queue', 'archive-q', '--to', archiveFile], action: 'archive', queue: 'archive-q', count: 8},
			{label: 'restore', args: ['restore', archiveFile], action: 'restore', queue: null, count: 8},
			{label: 'clean', args: ['clean', 'clean-q', '--state', 'completed', '--older-than', '0s'], action: 'clean', queue: 'clean-q', count: 9},
		];

		for (const entry of cases) {
			 
			const refused = await s.cli([...entry.args, '--yes', '--read-only', '--json']);
			assert.equal(refused.code, 6, `${entry.label} --read-only: ${describeResult(refused)}`);
			assert.equal(parseJson(refused).error?.code, 'refused', `${entry.label} --read-only prints the contract's error JSON`);

			const dry = await s.cli([...entry.args, '--dry-run', '--json']);
			assert.equal(dry.code, 0, `${entry.label} --dry-run: ${describeResult(dry)}`);
			const dryBody = parseJson(dry);
			assert.deepEqual({queue: dryBody.queue, action: dryBody.action, count: dryBody.count, dryRun: dryBody.dryRun}, {queue: entry.queue, action: entry.action, count: entry.count, dryRun: true}, `${entry.label} --dry-run --json`);

			const done = await s.cli([...entry.args, '--yes', '--json']);
			assert.equal(done.code, 0, `${entry.label}: ${describeResult(done)}`);
			const body = parseJson(done);
			assert.deepEqual({queue: body.queue, action: body.action, count: body.count, dryRun: body.dryRun}, {queue: entry.queue, action: entry.action, count: entry.count, dryRun: false}, `${entry.label} --json`);
			assert.equal(done.stdout.trim().split('\n').length, 1, `${entry.label} --json prints exactly one JSON document`);
			 
		}

		const records = await s.audit();
		const me = {user: os.userInfo().username, host: os.hostname()};
		for (const entry of cases) {
			for (const [result, count] of [['refused', 0], ['dry-run', entry.count], ['ok', entry.count]] as const) {
				const matches = records.filter(record => record['action'] === entry.action && record['queue'] === entry.queue && record['result'] === result);
				assert.equal(matches.length, 1, `${entry.label}: one "${result}" record, got ${JSON.stringify(matches)}`);
				const [record] = matches;
				assert.deepEqual(
					{action: record!['action'], queue: record!['queue'], count: record!['count'], result: record!['result'], user: record!['user'], host: record!['host']},
					{action: entry.action, queue: entry.queue, count, result, ...me},
					`${entry.label} ${result}`,
				);
				assert.ok(String(record!['command']).startsWith(`saccos-queue ${entry.args[0]!}`), `${entry.label}: the command line is recorded: ${String(record!['command'])}`);
				assert.ok(!Number.isNaN(Date.parse(String(record!['time']))), `${entry.label}: a time`);
			}
		}
		assert.equal(records.length, cases.length * 3, 'nothing else was audited');

		// The human table shows the same, newest first.
		const table = await s.cli(['audit']);
		assert.equal(table.code, 0, describeResult(table));
		assert.match(table.stdout, /refused: read-only mode/);
		assert.ok(table.stdout.indexOf('clean') < table.stdout.indexOf('dispatch'), 'newest first');
	});
});
