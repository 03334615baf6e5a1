/**
 * Ctrl-C during `retry --all` on ~30,000 failed jobs: the operator's
 * interrupt stops the work between batches, exit 130, and no job is lost,
 * duplicated or left half-moved — every id is in exactly one of failed,
 * waiting, prioritized.
 *
 * Then Ctrl-C during a bulk action over two queues, made deterministic with
 * CLIENT PAUSE WRITE on a private server: the command's first batch is held
 * in Redis, SIGINT arrives, the batch is released. The first queue is then
 * finished and the second never started — the operator must not be told
 * that all went well (exit 0).
 */
import {after, before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {Redis} from 'ioredis';
import {gatherOutput, scratchDir, spawnCli} from '../helpers/cli.js';
import {makeFailedJobs, placement, scope} from '../helpers/failed-jobs.js';
import {waitFor} from '../helpers/keyspace.js';
import {startRedisServer, testRedisUrl, type RedisServer} from '../helpers/redis-server.js';

const url = testRedisUrl();
const QUEUE = 'loans';
const N = 30_000;

describe('retry --all interrupted', () => {
	it('SIGINT after the first batch: exit 130, every job in exactly one state, the rest still failed', async t => {
		const s = scope(t, url);
		const made = await makeFailedJobs({url, prefix: s.prefix, queue: QUEUE, count: N, priorityEvery: 10});
		const failedKey = `${s.prefix}:${QUEUE}:failed`;
		assert.equal(await s.client.zcard(failedKey), N);

		// A separate client watches the failed set: its first drop is the first batch done.
		const watcher = new Redis(url, {maxRetriesPerRequest: null});
		t.after(() => watcher.disconnect());
		await watcher.ping();

		const child = spawnCli(['retry', '--all', '--queue', QUEUE, '--yes', '--json', '--redis', url, '--prefix', s.prefix]);
		const out: Buffer[] = [];
		const err: Buffer[] = [];
		child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
		child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
		const exited = new Promise<{code: number | null; signal: NodeJS.Signals | null}>(resolve => {
			child.once('close', (code, signal) => resolve({code, signal}));
		});
		const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
		t.after(() => clearTimeout(killer));

		let seen = N;
		let done = false;
		void exited.then(() => {
			done = true;
		});
		const deadline = Date.now() + 20_000;
		while (!done && seen === N && Date.now() < deadline) seen = await watcher.zcard(failedKey);
		assert.ok(seen < N, `the failed count never dropped (${seen}); the command exited first: ${String(done)}`);
		child.kill('SIGINT');
		const {code, signal} = await exited;
		const stdout = Buffer.concat(out).toString('utf8');
		const stderr = Buffer.concat(err).toString('utf8');
		assert.equal(signal, null, `killed by ${String(signal)}\n${stderr}`);
		assert.equal(code, 130, `exit ${String(code)}\nstdout: ${stdout}\nstderr: ${stderr}`);

		const where = await placement(s.client, s.prefix, QUEUE);
		const all = [...where.failed, ...where.waiting, ...where.prioritized];
		assert.equal(all.length, N, `failed ${where.failed.length} + waiting ${where.waiting.length} + prioritized ${where.prioritized.length} = ${all.length}, expected ${N}`);
		assert.equal(new Set(all).size, N, 'no id is in two states (or twice in one)');
		assert.deepEqual(new Set(all), new Set(made.jobs.map(job => job.id)), 'no id lost, none invented');
		assert.equal(where.active.length + where.delayed.length + where.completed.length, 0);
		assert.ok(where.failed.length > 0, `it stopped early: ${where.failed.length} jobs are still failed`);
		assert.ok(where.failed.length < N, 'and some were retried');
		// Prioritized jobs went to the prioritized set, plain ones to waiting — never the other way round.
		for (const id of where.prioritized) assert.ok(made.byId.get(id)?.priority, `job ${id} is prioritized without a priority`);
		for (const id of where.waiting) assert.equal(made.byId.get(id)?.priority, undefined, `job ${id} lost its priority`);

		// What it printed and audited agrees with what happened.
		const moved = where.waiting.length + where.prioritized.length;
		t.diagnostic(`SIGINT when ${N - seen} were retried; stopped at ${moved}/${N}`);
		const body = JSON.parse(stdout) as Record<string, unknown>;
		assert.deepEqual({queue: body['queue'], action: body['action'], count: body['count'], dryRun: body['dryRun']}, {queue: QUEUE, action: 'retry', count: moved, dryRun: false});
		const records = await s.audit();
		const record = records.find(entry => entry['action'] === 'retry');
		assert.ok(record, `no retry record in ${JSON.stringify(records)}`);
		assert.equal(record['result'], 'interrupted');
		assert.equal(record['count'], moved);

		// Running it again finishes the job: the operator can simply re-run after Ctrl-C.
		const again = await s.cli(['retry', '--all', '--queue', QUEUE, '--yes', '--json']);
		assert.equal(again.code, 0, again.stderr);
		assert.equal(JSON.parse(again.stdout).count, N - moved);
		assert.equal(await s.client.zcard(failedKey), 0);
	});
});

describe('Ctrl-C between queues of a bulk action', () => {
	let server: RedisServer;
	before(async () => {
		// CLIENT PAUSE stops every client of a server: never on the shared test Redis.
		server = await startRedisServer();
	});
	after(async () => server?.stop());

	type Case = {label: string; args: (file: string) => string[]};
	const cases: Case[] = [
		{label: 'retry --all', args: () => ['retry', '--all', '--queue', 'first,second']},
		{label: 'flush', args: () => ['flush', '--queue', 'first,second']},
		{label: 'archive', args: file => ['archive', '--older-than', '0s', '--queue', 'first,second', '--to', file]},
	];
	for (const entry of cases) {
		it(`${entry.label}: SIGINT while the first queue's only batch runs → exit 130 and the skipped queue is reported`, async t => {
			const s = scope(t, server.url);
			await makeFailedJobs({url: server.url, prefix: s.prefix, queue: 'first', count: 300});
			await makeFailedJobs({url: server.url, prefix: s.prefix, queue: 'second', count: 300});
			const admin = new Redis(server.url, {maxRetriesPerRequest: null});
			t.after(async () => {
				await admin.call('CLIENT', 'UNPAUSE').catch(() => undefined);
				admin.disconnect();
			});

			await admin.call('CLIENT', 'PAUSE', '15000', 'WRITE');
			const file = path.join(scratchDir(), `${s.prefix}-interrupt.jsonl`);
			const child = spawnCli([...entry.args(file), '--yes', '--json', '--redis', server.url, '--prefix', s.prefix]);
			const output = gatherOutput(child);
			const exited = new Promise<number | null>(resolve => child.once('close', code => resolve(code)));
			const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
			t.after(() => clearTimeout(killer));

			// The command's first write (a Lua script on the first queue) is now held by the pause.
			await waitFor(async () => /flags=\w*b\w* .*cmd=eval/.test(String(await admin.call('CLIENT', 'LIST'))), 'the command to block on its first script', 10_000);
			child.kill('SIGINT');
			await waitFor(() => output.stderr().includes('stopping'), 'the command to acknowledge the interrupt', 10_000);
			await admin.call('CLIENT', 'UNPAUSE');
			const code = await exited;

			const first = await s.client.zcard(`${s.prefix}:first:failed`);
			const second = await s.client.zcard(`${s.prefix}:second:failed`);
			t.diagnostic(`exit ${String(code)}; failed left: first ${first}, second ${second}; stdout ${output.stdout().trim()}`);
			assert.equal(first, 0, 'the batch that was running when Ctrl-C came finished (300 jobs is one batch)');
			assert.equal(second, 300, 'the second queue was not started');
			assert.equal(code, 130, `the operator stopped it before the second queue: exit 130, not ${String(code)}\nstdout: ${output.stdout()}\nstderr: ${output.stderr()}`);
			const records = await s.audit();
			assert.ok(records.some(record => record['result'] === 'interrupted'), `the audit says it was interrupted: ${JSON.stringify(records.map(record => [record['queue'], record['result'], record['count']]))}`);
		});
	}
});
