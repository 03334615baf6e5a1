/**
 * `saccos-queue metrics` end to end: a real worker process runs jobs and
 * records them; the built binary reads them back. Its figures agree with
 * BullMQ's completed and failed sets, per queue and per job name; latency is
 * the age of the job next in line; a hostile job name reaches the terminal
 * only through the sanitizer; reading writes nothing; bad flags are exit 2
 * with one line and a hint. (`--prometheus`: test/cli/prometheus-output.test.ts.)
 */
import {after, before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {writeFileSync} from 'node:fs';
import path from 'node:path';
import {Redis} from 'ioredis';
import {describeResult, parseJson, runCli} from '../helpers/cli.js';
import {describeDigestDiff, keyspaceDigest, waitFor} from '../helpers/keyspace.js';
import {FAST, usePrivateServers, useSandboxes, type Sandbox} from '../helpers/worker-process.js';

const HOSTILE = 'report\x1b[2J\x1b]0;pwned\x07\u202e';

describe('metrics (the command)', () => {
	const open = useSandboxes('');
	const privateServer = usePrivateServers();
	let box: Sandbox;
	let admin: Redis;
	let latencyDue = 0;

	before(async () => {
		const server = await privateServer();
		box = open('metrics-cli', server.url);
		admin = box.client();
		writeFileSync(path.join(box.dir, 'ok.mjs'), 'export default async () => "ok";');
		writeFileSync(path.join(box.dir, 'fail.mjs'), 'export default async () => { throw new Error("planned"); };');
		const config = box.writeConfig({queues: {emails: {timeout: 30}, high: {timeout: 30}}, processors: {ok: './ok.mjs', fail: './fail.mjs'}, metrics: {flushInterval: '1s'}}, 'config.json');
		const emails = box.queue('emails');
		for (let index = 0; index < 12; index++) await emails.add('ok', {});
		for (let index = 0; index < 3; index++) await emails.add('fail', {}, {attempts: 1});
		// No processor for this name: it fails for good, and its name is shown.
		for (let index = 0; index < 2; index++) await emails.add(HOSTILE, {});
		// `high` has no worker: its job waits, 45 s old.
		latencyDue = Date.now() - 45_000;
		await box.queue('high').add('urgent', {}, {timestamp: latencyDue});
		const worker = box.worker(config, ['--queue', 'emails', ...FAST]);
		await waitFor(async () => (await emails.getCompletedCount()) === 12 && (await emails.getFailedCount()) === 5, 'the emails jobs to finish', 30_000);
		worker.signal('SIGTERM');
		assert.equal((await worker.waitForExit(15_000)).code, 0, worker.describe());
		// The worker's last stalled-job check left a key that expires by itself (PX --stalled-interval): gone before the digests.
		await waitFor(async () => (await admin.exists(`${box.prefix}:emails:stalled-check`)) === 0, 'the stalled-check key to expire', 10_000);
	});

	after(() => admin?.disconnect());

	const args = (...more: string[]) => ['metrics', ...more, '--redis', box.redisUrl, '--prefix', box.prefix, '--config', path.join(box.dir, 'config.json')];

	it('--json: per queue and job name, the counts BullMQ\'s sets hold, the failure rate and the latency now; nothing written', async () => {
		const before = await keyspaceDigest(admin);
		const started = Date.now();
		const result = await runCli(args('--json', '--by', 'name', '--since', '15m'));
		assert.equal(result.code, 0, describeResult(result));
		const report = parseJson(result);
		const emails = report.queues.find((queue: {queue: string}) => queue.queue === 'emails');
		assert.equal(emails.completed, await admin.zcard(`${box.prefix}:emails:completed`));
		assert.equal(emails.failed, await admin.zcard(`${box.prefix}:emails:failed`));
		assert.equal(emails.failureRate, Math.round((5 / 17) * 10_000) / 10_000);
		assert.ok(emails.runtime.p50 !== null && emails.wait.p95 !== null, JSON.stringify(emails));
		const byName = Object.fromEntries(emails.names.map((name: {name: string; completed: number; failed: number}) => [name.name, [name.completed, name.failed]]));
		assert.deepEqual(byName, {ok: [12, 0], fail: [0, 3], 'report?[2J?]0;pwned??': [0, 2]});
		assert.equal(emails.oldestWaitMs, null, 'nothing waits in emails');
		const high = report.queues.find((queue: {queue: string}) => queue.queue === 'high');
		assert.ok(high.oldestWaitMs >= started - latencyDue && high.oldestWaitMs <= Date.now() - latencyDue, `latency ${high.oldestWaitMs}`);
		assert.equal(high.completed, 0);
		const after = await keyspaceDigest(admin);
		assert.equal(after.hash, before.hash, describeDigestDiff(before.entries, after.entries));
	});

	it('the table shows every name through the sanitizer', async () => {
		const result = await runCli(args('--by', 'name'));
		assert.equal(result.code, 0, describeResult(result));
		assert.match(result.stdout, /QUEUE\s+JOB\s+JOBS\/MIN\s+COMPLETED\s+FAILED\s+FAIL %/);
		assert.match(result.stdout, /emails\s+\(all\)\s+[\d.]+\s+12\s+5\s+29\.4%/);
		assert.doesNotMatch(result.stdout, /[\x00-\x08\x0b-\x1f\x7f\u202e]/, 'a raw control character reached the terminal');
		assert.match(result.stdout, /report\?\[2J/);
	});

	it('a malformed --since or --by is exit 2 with one line and a hint', async () => {
		for (const bad of [['--since', '2x'], ['--since', '30d'], ['--by', 'host']]) {
			const result = await runCli(args(...bad));
			assert.equal(result.code, 2, `${bad.join(' ')}: ${describeResult(result)}`);
			assert.equal(result.stdout, '');
			assert.match(result.stderr, /^saccos-queue: [^\n]+\n {2}hint: [^\n]+\n$/, result.stderr);
			assert.doesNotMatch(result.stderr, /\n\s+at /, 'a stack trace');
		}
	});
});
