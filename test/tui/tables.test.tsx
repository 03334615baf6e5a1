/**
 * Finding the problem in one key: o sorts by the next column (the header
 * says which, and which way), O reverses, ! puts problems first then shows
 * only them; a totals row and the position (3/6); the queues filter applies
 * as it is typed and is still there after a queue's jobs and back; services
 * never cut STATE.
 */
import {afterEach, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import type {ServiceStatus} from '../../source/process/services.js';
import {fixtureApi, renderConsole, snapshotOf, type ConsoleHarness} from '../helpers/console.js';

const QUEUES = [
	{name: 'high', waiting: 2},
	{name: 'default'},
	{name: 'emails', failed: 7},
	{name: 'notifications', paused: true},
	{name: 'reports', failed: 1},
	{name: 'sms'},
];
/** The queue names in the order the table shows them. */
const order = (frame: string): string[] => frame.split('\n').flatMap(line => /^[▸ ] (\S+)\s+(?:active|paused|empty|NO WORKER|ALL PAUSED)/.exec(line)?.[1] ?? []);
const inOrder = (expected: readonly string[]) => (frame: string) => JSON.stringify(order(frame)) === JSON.stringify(expected);

describe('console: sort, problems, totals, position, filters that stay', () => {
	let harness: ConsoleHarness | undefined;
	afterEach(() => {
		harness?.unmount();
		harness = undefined;
	});

	const open = async () => {
		const snapshot = snapshotOf(QUEUES);
		// high has jobs waiting and nobody serving it.
		snapshot.queues[0]!.workers = 0;
		harness = await renderConsole(fixtureApi({snapshot: async () => snapshot, jobs: async (queue, state, limit, offset) => ({queue, state: state as 'failed', total: 0, offset, limit, jobs: []})}));
		await harness.waitFor(text => text.includes('sms'), 'the queue table');
		return harness;
	};

	it('o sorts by the next column, the header marking it; numbers high first; O reverses; after the last column, the usual order', async () => {
		const console = await open();
		await console.waitFor(inOrder(['high', 'default', 'emails', 'notifications', 'reports', 'sms']), `the rows in the order ${['high', 'default', 'emails', 'notifications', 'reports', 'sms'].join()}`);
		await console.key('o');
		await console.waitFor(text => /QUEUE↑/.test(text), 'the header or status saying QUEUE↑');
		await console.waitFor(inOrder(['default', 'emails', 'high', 'notifications', 'reports', 'sms']), `the rows in the order ${['default', 'emails', 'high', 'notifications', 'reports', 'sms'].join()}`);
		await console.key('O');
		await console.waitFor(text => /QUEUE↓/.test(text), 'the header or status saying QUEUE↓');
		await console.waitFor(inOrder(['sms', 'reports', 'notifications', 'high', 'emails', 'default']), `the rows in the order ${['sms', 'reports', 'notifications', 'high', 'emails', 'default'].join()}`);
		for (let column = 1; column <= 8; column++) await console.key('o');
		await console.waitFor(text => /FAILED↓/.test(text), 'the header or status saying FAILED↓');
		await console.waitFor(text => order(text).slice(0, 2).join() === 'emails,reports', 'emails and reports first');
		// 16 columns (the counts, then latency, rate, sparkline, failures in the hour): after the last, none.
		for (let column = 9; column <= 16; column++) await console.key('o');
		await console.waitFor(text => !/[↑↓]\s/.test(text), 'no column marked');
		await console.waitFor(inOrder(['high', 'default', 'emails', 'notifications', 'reports', 'sms']), `the rows in the order ${['high', 'default', 'emails', 'notifications', 'reports', 'sms'].join()}`);
	});

	it('! puts problems first (no worker, then paused and failures), then shows only them; Esc shows all again', async () => {
		const console = await open();
		await console.key('!');
		await console.waitFor(inOrder(['high', 'emails', 'notifications', 'reports', 'default', 'sms']), `the rows in the order ${['high', 'emails', 'notifications', 'reports', 'default', 'sms'].join()}`);
		await console.waitFor(text => /problems first/.test(text), 'the header or status saying problems first');
		await console.key('!');
		await console.waitFor(inOrder(['high', 'emails', 'notifications', 'reports']), `the rows in the order ${['high', 'emails', 'notifications', 'reports'].join()}`);
		await console.waitFor(text => /1\/4 of 6 · problems only/.test(text), 'the header or status saying 1/4 of 6 · problems only');
		await console.key('escape');
		await console.waitFor(inOrder(['high', 'default', 'emails', 'notifications', 'reports', 'sms']), `the rows in the order ${['high', 'default', 'emails', 'notifications', 'reports', 'sms'].join()}`);
	});

	it('a totals row sums the counts; the position says where the selection is', async () => {
		const console = await open();
		assert.match(console.frame(), /TOTAL \(6\)\s+2\s+0\s+0\s+60\s+8/);
		await console.key('j');
		await console.key('j');
		await console.waitFor(text => /3\/6/.test(text), 'the position 3/6');
	});

	it('the filter narrows as it is typed, and is still there after a queue\'s jobs and back', async () => {
		const console = await open();
		await console.key('/');
		await console.type('em');
		await console.waitFor(inOrder(['emails']), `the rows in the order ${['emails'].join()}`);
		await console.key('enter');
		await console.key('enter');
		await console.waitFor(text => text.includes('no failed jobs in emails') || /emails\s+.*7 failed/.test(text), 'the jobs of emails');
		await console.key('q');
		const back = await console.waitFor(text => /▸ emails/.test(text), 'the queues again');
		assert.deepEqual(order(back), ['emails']);
		assert.match(back, /filter "em"/);
	});

	it('a queue whose only worker is paused, with jobs waiting: WORKERS says "1 (1 paused)" and STATE "ALL PAUSED", a problem', async () => {
		const snapshot = snapshotOf([{name: 'high', waiting: 9}, {name: 'default'}]);
		const paused = {id: 'app1-4242', kind: 'worker', host: 'app1', pid: 4242, queues: ['high'], concurrency: 1, started: Date.now() - 60_000, version: '0.1.0', rss: 1, processed: 0, failed: 0, current: [], unit: null, state: 'paused', heartbeat: Date.now(), source: 'saccos-queue'} as const;
		harness = await renderConsole(fixtureApi({snapshot: async () => snapshot, workers: async () => ({processes: [{...paused, queues: [...paused.queues], current: []}], foreign: []})}));
		const frame = await harness.waitFor(text => text.includes('ALL PAUSED'), 'the high queue flagged');
		assert.match(frame, /high\s+ALL PAUSED\s+9\s.*\s1 \(1 paused\)/);
		await harness.key('!');
		await harness.key('!');
		await harness.waitFor(inOrder(['high']), 'high alone among the problems');
	});

	it('F quotes the count it asks about, and the outcome says why it deleted more (failed since you confirmed)', async () => {
		const api = fixtureApi({snapshot: async () => snapshotOf([{name: 'emails', failed: 4}]), flushFailed: async (queue: string) => ({queue, action: 'flush', count: 5, dryRun: false})});
		harness = await renderConsole(api);
		await harness.waitFor(text => /▸ emails/.test(text), 'the queue');
		await harness.key('F');
		await harness.waitFor(text => text.includes('Delete all 4 failed jobs of "emails"?'), 'the confirmation with its count');
		await harness.type('emails');
		await harness.key('enter');
		await harness.waitFor(text => text.includes('deleted 5 failed jobs of emails (4 when you confirmed: 1 failed since)'), 'the outcome explaining the difference');
	});

	it('the jobs view\'s tab count of the open state is the page\'s total: the two never disagree', async () => {
		const failed = Array.from({length: 54}, (_, index) => ({id: String(index + 1), queue: 'emails', name: 'email.send', state: 'failed' as const, attemptsMade: 3, failedReason: 'SMTP 421', timestamp: Date.now() - 60_000, processedOn: Date.now() - 50_000, finishedOn: Date.now() - 40_000, delay: 0, priority: 0, data: {}}));
		// The snapshot was read a moment before 6 more failed.
		const api = fixtureApi({snapshot: async () => snapshotOf([{name: 'emails', failed: 48}]), jobs: async (queue, state, limit, offset) => ({queue, state: state as 'failed', total: 54, offset, limit, jobs: failed.slice(offset, offset + limit)})});
		harness = await renderConsole(api, {view: 'jobs', queue: 'emails', state: 'failed'});
		const frame = await harness.waitFor(text => /of 54 failed/.test(text), 'the page');
		assert.match(frame, /7 failed 54/);
		assert.doesNotMatch(frame, /failed 48/);
	});

	it('services on an 80-column terminal: STATE is never cut, however long the reason', async () => {
		const service = (name: string, state: ServiceStatus['state']): ServiceStatus => ({
			name, unit: `saccos-queue-${name}.service`, state, pid: state === 'running' ? 4242 : null, since: Date.now() - 60_000, restarts: 0, memory: null, enabled: null, backend: 'local',
			reason: state === 'running' ? null : 'exited with code 2 at once (a usage or configuration error): unknown log level "loud" in SACCOS_QUEUE_LOG_LEVEL', failedAt: null,
		} as ServiceStatus);
		harness = await renderConsole(fixtureApi({services: async () => [service('worker@high', 'running'), service('worker@emails', 'failed'), service('scheduler', 'stopped')]}), {view: 'services'}, {columns: 80, rows: 20});
		const frame = await harness.waitFor(text => text.includes('scheduler'), 'the services');
		assert.match(frame, /worker@high\s+running\s/);
		assert.match(frame, /worker@emails\s+failed\s/);
		assert.match(frame, /scheduler\s+stopped\s/);
	});
});
