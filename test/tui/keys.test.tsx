/**
 * How the console takes keys that arrive together, and actions that take a
 * while: keys of one chunk (typed fast, sent by tmux or a script) each act on
 * what the previous one left on screen; one action runs at a time, and
 * quitting during one asks first; a list's selection follows its row's id
 * across refreshes. Held API calls are promises the test resolves, never
 * sleeps.
 */
import {afterEach, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import type {JobDetail, JobPage, JobState, JobSummary} from '../../source/common/types.js';
import type {RegisteredProcess} from '../../source/data/workers.js';
import type {ConsoleApi} from '../../source/store/console-api.js';
import {fixtureApi, renderConsole, snapshotOf, type Call, type ConsoleHarness} from '../helpers/console.js';

const NOW = Date.now();

const callsOf = (api: {calls: Call[]}, method: keyof ConsoleApi) => api.calls.filter(call => call.method === method).map(call => call.args);

function job(id: string, state: JobState = 'failed'): JobSummary {
	return {
		id, queue: 'emails', name: `send-${id}`, state, attemptsMade: 3, failedReason: `SMTP 421 for job ${id}`,
		timestamp: NOW - 60_000, processedOn: NOW - 50_000, finishedOn: NOW - 40_000, delay: 0, priority: 0, data: {to: `user${id}@example.com`},
	};
}

function detail(summary: JobSummary): JobDetail {
	return {...summary, opts: {attempts: 3}, stacktrace: ['Error: SMTP 421'], returnvalue: null, progress: 0, attemptsStarted: summary.attemptsMade, parent: null, processedBy: 'worker-a1', logs: {total: 0, lines: []}};
}

/** A jobs() serving the jobs `current()` returns (whatever the state asked for). */
const pagesOf = (current: () => JobSummary[]) => async (queue: string, state: string, limit: number, offset: number): Promise<JobPage> => {
	const all = current();
	return {queue, state: state as JobState, total: all.length, offset, limit, jobs: all.slice(offset, offset + limit)};
};

const worker = (over: Partial<RegisteredProcess> = {}): RegisteredProcess => ({
	id: 'app1-4242', kind: 'worker', host: 'app1', pid: 4242, queues: ['high', 'emails'], concurrency: 4, started: NOW - 3_600_000, version: '0.1.0',
	rss: 80 * 1024 * 1024, processed: 1200, failed: 3, current: [], unit: null, state: 'running', heartbeat: NOW - 2000, source: 'saccos-queue', ...over,
});

/** A promise the test resolves: an API call that stays open until `release()`. */
function hold() {
	let release = () => {};
	const held = new Promise<void>(resolve => {
		release = resolve;
	});
	return {held, release};
}

describe('console: keys that arrive together, one action at a time, selection by id', () => {
	let harness: ConsoleHarness | undefined;
	const cleanups: Array<() => void> = [];
	afterEach(() => {
		harness?.unmount();
		harness = undefined;
		for (const cleanup of cleanups.splice(0)) cleanup();
	});

	it('"qq" as one chunk leaves a view per q: from the job detail back to the queues; from the jobs, back and quit; never a crash', async () => {
		const failed = job('1');
		const api = fixtureApi({snapshot: async () => snapshotOf([{name: 'emails', failed: 1}]), jobs: pagesOf(() => [failed]), job: async () => detail(failed)});
		const crashed = (text: string) => /Cannot read properties|ERROR/.test(text);
		harness = await renderConsole(api);
		await harness.waitFor(text => /▸ emails/.test(text), 'the queue table');
		await harness.press('inspect', 'queues');
		await harness.waitFor(text => text.includes('SMTP 421 for job 1'), 'the failed jobs of emails');
		await harness.press('inspect', 'jobs');
		await harness.waitFor(text => text.includes('Stack trace'), 'the job detail');
		await harness.key('qq');
		const frame = await harness.waitFor(text => /▸ emails/.test(text) || crashed(text), 'the queue table again (or an error)');
		assert.ok(!crashed(frame), `an error frame:\n${frame}`);
		assert.match(frame, /QUEUE\s+STATE\s+WAITING/);
		assert.match(frame, /R retry all/, 'the queues view\'s footer');
		// One view down, the second q is at the top: it quits (both q's once read the same stack, and left none).
		await harness.press('inspect', 'queues');
		await harness.waitFor(text => text.includes('SMTP 421 for job 1'), 'the failed jobs of emails');
		await harness.key('qq');
		const last = await harness.waitFor(text => /QUEUE\s+STATE/.test(text) || crashed(text), 'the queues view (or an error)');
		assert.ok(!crashed(last), `an error frame:\n${last}`);
		await harness.waitForExit('the second q at the home view');
	});

	it('"\\t\\tp" as one chunk on the queues view: p goes to the workers view (its selected worker), never to the queue', async () => {
		const api = fixtureApi({
			snapshot: async () => snapshotOf([{name: 'emails', failed: 1}]),
			jobs: pagesOf(() => [job('1')]),
			workers: async () => ({processes: [worker()], foreign: []}),
			controlWorker: async command => ({queue: null, action: `workers-${command}`, count: 1, dryRun: false}),
			setPaused: async queue => ({queue, action: 'pause', count: 1, dryRun: false}),
		});
		harness = await renderConsole(api);
		await harness.waitFor(text => /▸ emails/.test(text), 'the queue table');
		await harness.key('\t\tp');
		// The keys are handled before the workers' first poll answers: once the table is there, the p has been handled.
		const frame = await harness.waitFor(text => /▸ app1-4242/.test(text), 'the workers view with its table');
		assert.match(frame, /x stop/, 'the workers view\'s footer');
		assert.doesNotMatch(frame, /paused emails|pausing emails/);
		assert.deepEqual(callsOf(api, 'setPaused'), [], 'the queue the first view had selected was paused');
		// The chunk's p reaches the workers view before its list has loaded; whatever it did, it can only
		// have been to pause the selected worker. A p now certainly does.
		const early = callsOf(api, 'controlWorker');
		assert.ok(early.every(args => args[0] === 'pause' && args[1] === 'app1-4242'), `unexpected controlWorker calls: ${JSON.stringify(early)}`);
		if (early.length === 0) {
			assert.match(harness.frame(), /pause\/resume: nothing selected/, 'the early p was dropped without a word');
			await harness.press('worker-pause', 'workers');
			await harness.waitFor(text => text.includes('sent pause to 1 worker(s)'), 'the pause outcome');
		}
		assert.deepEqual(callsOf(api, 'controlWorker'), [['pause', 'app1-4242']]);
		assert.deepEqual(callsOf(api, 'setPaused'), []);
	});

	it('p while a pause runs is refused ("wait: …") until the queues are read again; then p reads the new state and resumes', async () => {
		let paused = false;
		const pause = hold();
		const refresh = hold();
		let holdSnapshots = false;
		cleanups.push(pause.release, refresh.release);
		const api = fixtureApi({
			async snapshot() {
				if (holdSnapshots) await refresh.held;
				return snapshotOf([{name: 'emails', paused}]);
			},
			async setPaused(queue, value) {
				const first = callsOf(api, 'setPaused').length === 1;
				if (first) await pause.held;
				paused = value;
				// The refresh after the pause is held too: the next p must wait for it, not read the old state.
				holdSnapshots = first;
				return {queue, action: value ? 'pause' : 'resume', count: 1, dryRun: false};
			},
		});
		harness = await renderConsole(api);
		await harness.waitFor(text => /▸ emails\s+active/.test(text), 'the queue table');
		await harness.press('pause', 'queues');
		await harness.waitFor(text => text.includes('working…'), 'the pause running');
		await harness.press('pause', 'queues');
		await harness.waitFor(text => text.includes('wait: pausing emails is still running'), 'the second p refused');
		assert.deepEqual(callsOf(api, 'setPaused'), [['emails', true]]);
		pause.release();
		const done = await harness.waitFor(text => text.includes('paused emails'), 'the pause outcome');
		assert.match(done, /▸ emails\s+active/, 'the refresh is still held');
		await harness.press('pause', 'queues');
		await harness.waitFor(text => text.includes('wait: pausing emails is still running'), 'p refused while the refresh runs');
		assert.deepEqual(callsOf(api, 'setPaused'), [['emails', true]]);
		refresh.release();
		await harness.waitFor(text => /▸ emails\s+paused/.test(text), 'the refreshed table showing emails paused');
		await harness.press('pause', 'queues');
		await harness.waitFor(text => text.includes('resumed emails'), 'the resume outcome');
		assert.deepEqual(callsOf(api, 'setPaused'), [['emails', true], ['emails', false]]);
	});

	it('q while a retry-all runs says it is still running and does not quit', async () => {
		const batch = hold();
		cleanups.push(batch.release);
		const api = fixtureApi({
			snapshot: async () => snapshotOf([{name: 'emails', failed: 7}, {name: 'high'}]),
			async retryAll(queue, onProgress) {
				onProgress?.({done: 1, total: 7});
				await batch.held;
				return {queue, action: 'retry', count: 7, dryRun: false};
			},
		});
		harness = await renderConsole(api);
		await harness.waitFor(text => /▸ emails/.test(text), 'the queue table');
		await harness.press('retry-all', 'queues');
		await harness.waitFor(text => text.includes('Type "emails" to confirm'), 'the confirmation prompt');
		await harness.type('emails');
		await harness.key('enter');
		await harness.waitFor(text => text.includes('retrying emails: 1 of 7'), 'the retry running');
		await harness.press('back', 'queues');
		const warned = await harness.waitFor(text => text.includes('still running: press q (or ^C) again'), 'the warning');
		assert.match(warned, /retrying emails is still running: press q \(or \^C\) again to quit and stop it after its current batch/);
		assert.match(warned, /QUEUE\s+STATE\s+WAITING/);
		// Still drawing the queues view: a key moves its selection.
		await harness.press('down', 'queues');
		await harness.waitFor(text => /▸ high/.test(text) && /QUEUE\s+STATE/.test(text), 'the selection moved on the queues table');
		assert.deepEqual(callsOf(api, 'retryAll').map(args => args[0]), ['emails']);
	});

	it('the selection follows the job\'s id: a new failure on top does not move the highlight, r retries the job selected, and the next row takes its place', async () => {
		let failed = [job('3'), job('2'), job('1')];
		const api = fixtureApi({
			snapshot: async () => snapshotOf([{name: 'emails', failed: failed.length}]),
			jobs: pagesOf(() => failed),
			async retry(queue, ids) {
				failed = failed.filter(entry => !ids.includes(entry.id));
				return {queue, action: 'retry', count: ids.length, dryRun: false, notFailed: []};
			},
		});
		harness = await renderConsole(api, {view: 'jobs', queue: 'emails', state: 'failed'});
		await harness.waitFor(text => text.includes('1–3 of 3 failed'), 'the failed jobs');
		await harness.press('down', 'jobs');
		await harness.waitFor(text => /▸ 2\s+send-2/.test(text), 'job 2 selected');
		failed = [job('4'), ...failed];
		await harness.press('refresh', 'jobs');
		const frame = await harness.waitFor(text => text.includes('send-4'), 'the new failure on top');
		assert.match(frame, /▸ 2\s+send-2/);
		await harness.press('retry', 'jobs');
		await harness.waitFor(text => text.includes('retried 1 job of emails'), 'the retry outcome');
		assert.deepEqual(callsOf(api, 'retry'), [['emails', ['2']]]);
		// Job 2 leaves the failed list: the row that took its place is selected.
		const after = await harness.waitFor(text => text.includes('1–3 of 3 failed'), 'the failed list without job 2');
		assert.doesNotMatch(after, /send-2/);
		assert.match(after, /▸ 1\s+send-1/);
	});

	it('after the list shrinks under the selection, one k moves up one row', async () => {
		const names = (count: number) => Array.from({length: count}, (_, index) => ({name: `queue-${String(index + 1).padStart(2, '0')}`}));
		let queues = names(10);
		harness = await renderConsole(fixtureApi({snapshot: async () => snapshotOf(queues)}));
		await harness.waitFor(text => text.includes('queue-10'), 'the ten queues');
		await harness.press('bottom', 'queues');
		await harness.waitFor(text => /▸ queue-10/.test(text), 'the last queue selected');
		queues = names(3);
		await harness.press('refresh', 'queues');
		await harness.waitFor(text => !text.includes('queue-10') && /▸ queue-03/.test(text), 'three queues, the last selected');
		await harness.press('up', 'queues');
		await harness.waitFor(text => /▸ queue-02/.test(text), 'the selection one row up');
	});

	it('a confirmation answered and submitted in one chunk ("emails\\r", as tmux or a fast typist sends it) runs the action', async () => {
		const api = fixtureApi({snapshot: async () => snapshotOf([{name: 'emails', failed: 5}]), retryAll: async (queue: string) => ({queue, action: 'retry', count: 5, dryRun: false})});
		harness = await renderConsole(api);
		await harness.waitFor(text => /▸ emails/.test(text), 'the queue table');
		await harness.key('R');
		await harness.waitFor(text => text.includes('Type "emails" to confirm'), 'the confirmation');
		await harness.key('emails\r');
		await harness.waitFor(text => text.includes('retried 5 failed jobs of emails'), 'the retry done');
		assert.deepEqual(api.calls.filter(call => call.method === 'retryAll').map(call => call.args[0]), ['emails']);
	});

	it('a two-line paste into a prompt submits its first line; the rest is never taken as keys (its "p" pauses nothing)', async () => {
		const api = fixtureApi({snapshot: async () => snapshotOf([{name: 'high'}, {name: 'emails'}])});
		harness = await renderConsole(api);
		await harness.waitFor(text => /▸ high/.test(text), 'the queue table');
		await harness.key('/');
		await harness.key('em\npp');
		await harness.waitFor(text => text.includes('filter "em"') && !text.includes('Filter queues:'), 'the filter from the first line');
		assert.deepEqual(api.calls.filter(call => call.method === 'setPaused'), []);
	});

	it('the chunk "/mail\\r" opens the filter, types "mail" and submits it', async () => {
		harness = await renderConsole(fixtureApi({snapshot: async () => snapshotOf([{name: 'high'}, {name: 'emails'}, {name: 'notifications'}])}));
		await harness.waitFor(text => text.includes('notifications'), 'the queue table');
		await harness.key('/mail\r');
		// The filter applies as it is typed: wait for the Enter too (the prompt gone).
		const frame = await harness.waitFor(text => text.includes('filter "mail"') && !text.includes('Filter queues:'), 'the filtered table, the prompt closed');
		assert.match(frame, /▸ emails/);
		assert.doesNotMatch(frame, /notifications|▸ high|\n\s+high\s/);
	});
});
