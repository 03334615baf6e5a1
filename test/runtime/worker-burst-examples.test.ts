/**
 * At-most-once side effects outside BullMQ's at-least-once window: a burst of
 * jobs over two workers, each executed exactly once. And the shipped example
 * processors (examples/) through a real worker with the example config: each
 * dispatched event produces its file in the outbox exactly once.
 */
import {after, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {readdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {describeResult, parseJson, root, runCli} from '../helpers/cli.js';
import {waitFor} from '../helpers/keyspace.js';
import {testRedisUrl} from '../helpers/redis-server.js';
import {killAll, line, sandbox, type Sandbox} from '../helpers/worker-process.js';

const FAST = ['--sleep', '0.2', '--lock-duration', '2000', '--stalled-interval', '1000'];

/** Every file under `dir`, relative, sorted. */
function filesUnder(dir: string): string[] {
	const found: string[] = [];
	const walk = (relative: string) => {
		let entries;
		try {
			entries = readdirSync(path.join(dir, relative), {withFileTypes: true});
		} catch {
			return;
		}
		for (const entry of entries) {
			const next = path.posix.join(relative, entry.name);
			if (entry.isDirectory()) walk(next);
			else found.push(next);
		}
	};
	walk('');
	return found.sort();
}

describe('worker: no double execution, example processors', {concurrency: true}, () => {
	const url = testRedisUrl();
	const boxes: Sandbox[] = [];
	after(async () => {
		await Promise.all(boxes.map(async box => box.cleanup()));
		await killAll();
	});

	it('200 jobs over 2 workers: every job executed exactly once, all completed', async () => {
		const box = sandbox(url, 'burst');
		boxes.push(box);
		const config = box.writeConfig({queues: {default: {timeout: 10}}});
		const workers = [box.worker(config, ['--queue', 'default', '--concurrency', '5', ...FAST]), box.worker(config, ['--queue', 'default', '--concurrency', '5', ...FAST])];
		await Promise.all(workers.map(async worker => worker.waitForLine(line.started, 'worker started')));
		const jobs = await box.queue('default').addBulk(Array.from({length: 200}, (_, index) => ({name: 'record', data: {recordFile: box.recordFile, n: index}})));
		const ids = jobs.map(job => job.id!);
		await waitFor(async () => (await box.queue('default').getJobCounts('completed'))['completed'] === 200, 'all 200 jobs completed', 30_000);
		const records = box.records();
		const starts = new Map<string, number>();
		for (const record of records.filter(entry => entry.event === 'start')) starts.set(record.id, (starts.get(record.id) ?? 0) + 1);
		const twice = [...starts].filter(([, count]) => count > 1).map(([id]) => id);
		assert.deepEqual(twice, [], `executed more than once: ${twice.join(', ')}`);
		assert.deepEqual(ids.filter(id => !starts.has(id)), [], 'jobs never executed');
		assert.equal(records.filter(entry => entry.event === 'done').length, 200);
		const counts = await box.queue('default').getJobCounts('failed', 'waiting', 'active', 'delayed');
		assert.deepEqual(counts, {failed: 0, waiting: 0, active: 0, delayed: 0});
		// Both workers took a share.
		const pids = new Set(records.map(entry => entry.pid));
		assert.deepEqual([...pids].sort(), workers.map(worker => worker.pid).sort(), 'one worker did all the work');
	});

	it('the example processors with examples/saccos-queue.config.json: each event leaves its file in the outbox once', async () => {
		const box = sandbox(url, 'examples');
		boxes.push(box);
		const config = path.join(root, 'examples', 'saccos-queue.config.json');
		const outbox = path.join(box.dir, 'outbox');
		const env = {SACCOS_QUEUE_OUTBOX: outbox};
		const worker = box.worker(config, ['--queue', 'high,default,emails,notifications', '--concurrency', '4', ...FAST], env);
		await worker.waitForLine(line.started, 'worker started');
		const dispatch = async (queue: string, name: string, data: object) => {
			const result = await runCli(['dispatch', queue, name, '--data', JSON.stringify(data), '--json', '--config', config, '--redis', url, '--prefix', box.prefix], {env});
			assert.equal(result.code, 0, describeResult(result));
			return {queue, name, id: String(parseJson<{jobId: string}>(result).jobId)};
		};
		const sent = await Promise.all([
			dispatch('default', 'loan.approved', {loanId: 42, memberId: 7, amount: 1_500_000}),
			dispatch('high', 'approval.processed', {approvalId: 9, status: 'approved', by: 'manager'}),
			dispatch('emails', 'email.send', {to: 'member@example.com', subject: 'Loan approved', body: 'Your loan 42 is approved.'}),
			dispatch('notifications', 'sms.send', {phone: '+255712345678', message: 'Loan 42 approved'}),
			dispatch('default', 'reports:generate-daily', {branch: 'Arusha'}),
		]);
		for (const job of sent) {
			await waitFor(async () => (await box.queue(job.queue).getJobState(job.id)) === 'completed', `${job.name} (${job.queue}/${job.id}) to complete`, 15_000);
		}
		const id = (name: string) => sent.find(job => job.name === name)!.id;
		const expected = [
			`emails/${id('email.send')}.eml`,
			`events/approval-${id('approval.processed')}.json`,
			`events/loan-${id('loan.approved')}.json`,
			`reports/reports_generate-daily-${id('reports:generate-daily')}.json`,
			`sms/${id('sms.send')}.json`,
		].sort();
		assert.deepEqual(filesUnder(outbox), expected);
		assert.match(readFileSync(path.join(outbox, `emails/${id('email.send')}.eml`), 'utf8'), /^To: member@example\.com\nSubject: Loan approved\n/);
		const loan = JSON.parse(readFileSync(path.join(outbox, `events/loan-${id('loan.approved')}.json`), 'utf8')) as Record<string, unknown>;
		assert.equal(loan['loanId'], 42);
		const report = JSON.parse(readFileSync(path.join(outbox, `reports/reports_generate-daily-${id('reports:generate-daily')}.json`), 'utf8')) as Record<string, unknown>;
		assert.equal(report['period'], 'daily');
		assert.equal(report['branch'], 'Arusha');
		worker.signal('SIGTERM');
		assert.equal((await worker.waitForExit(10_000)).code, 0, worker.describe());
	});
});
