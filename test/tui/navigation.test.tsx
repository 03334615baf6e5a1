/**
 * Keys that never surprise (k9s habits): Esc goes back and never quits; q
 * goes back and quits only from the home view, also after Tab; the `:`
 * command line takes every key while it is open (`:po` must not pause a
 * queue), goes where it is told and completes names with Tab; a pause says
 * what it did and u undoes it; a flash belongs to the view that raised it;
 * a filter applies as it is typed and survives a visit to a job.
 */
import {afterEach, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import type {JobPage, JobState, JobSummary} from '../../source/common/types.js';
import type {ConsoleApi} from '../../source/store/console-api.js';
import {bindings} from '../../source/keymap/dispatch.js';
import type {ViewKeys} from '../../source/tui/ui-context.js';
import {fixtureApi, renderConsole, snapshotOf, type Call, type ConsoleHarness} from '../helpers/console.js';

const NOW = Date.now();
const callsOf = (api: {calls: Call[]}, method: keyof ConsoleApi) => api.calls.filter(call => call.method === method).map(call => call.args);

function job(id: string, to: string): JobSummary {
	return {id, queue: 'emails', name: 'sms.send', state: 'failed', attemptsMade: 3, failedReason: `gateway refused ${id}`, timestamp: NOW - 60_000, processedOn: NOW - 50_000, finishedOn: NOW - 40_000, delay: 0, priority: 0, data: {to}};
}

const JOBS = [job('1', '+255700000001'), job('2', '+255711222333'), job('3', '+255700000003')];
const pages = async (queue: string, state: string, limit: number, offset: number): Promise<JobPage> => ({queue, state: state as JobState, total: JOBS.length, offset, limit, jobs: JOBS.slice(offset, offset + limit)});
const QUEUES = [{name: 'high'}, {name: 'default'}, {name: 'emails', failed: 3}, {name: 'notifications'}];

describe('console: keys that never surprise', () => {
	let harness: ConsoleHarness | undefined;
	afterEach(() => {
		harness?.unmount();
		harness = undefined;
	});

	const open = async (over: Partial<ConsoleApi> = {}) => {
		const api = fixtureApi({snapshot: async () => snapshotOf(QUEUES), queueNames: async () => QUEUES.map(queue => queue.name), jobs: pages, ...over});
		harness = await renderConsole(api);
		await harness.waitFor(text => /▸ high/.test(text), 'the queue table');
		return {api, console: harness};
	};

	it('Esc goes back from a job\'s jobs and never quits, even at the home view', async () => {
		const {console} = await open();
		await console.key('G');
		await console.key('k');
		await console.press('inspect', 'queues');
		await console.waitFor(text => text.includes('gateway refused 1'), 'the failed jobs of emails');
		await console.key('escape');
		await console.waitFor(text => /▸ emails/.test(text), 'back on the queues view, emails selected');
		await console.key('escape');
		await console.key('j');
		await console.waitFor(text => /▸ notifications/.test(text), 'still running after Esc at the home view: j moves the selection from emails');
	});

	it('q on a view reached with Tab goes back to the home view; only there does it quit', async () => {
		const {console} = await open({schedules: async () => []});
		for (let step = 0; step < 3; step++) await console.key('tab');
		await console.waitFor(text => text.includes('no schedules configured'), 'the schedules view');
		await console.key('q');
		await console.waitFor(text => /QUEUE\s+STATE/.test(text), 'the queues view after q');
		await console.key('q');
		await console.waitForExit('q at the home view');
	});

	it('":po" on the queues view opens the command line and never pauses the selected queue; Esc closes it', async () => {
		const {api, console} = await open();
		await console.key(':');
		await console.type('po');
		await console.waitFor(text => /^:po/m.test(text), 'the command line with "po"');
		await console.key('escape');
		await console.waitFor(text => /R retry all/.test(text), 'the footer back');
		assert.deepEqual(callsOf(api, 'setPaused'), [], 'p went through to the queue');
	});

	it('":jobs emails failed" opens those jobs; ":job emails 2" a job; Tab completes a queue name; an unknown command says so', async () => {
		const {console} = await open({job: async () => ({...JOBS[1]!, opts: {}, stacktrace: [], returnvalue: null, progress: 0, attemptsStarted: 3, parent: null, processedBy: null, logs: {total: 0, lines: []}})});
		await console.key(':');
		await console.type('jobs em');
		await console.key('tab');
		await console.waitFor(text => /^:jobs emails /m.test(text), 'the queue name completed');
		await console.type('failed');
		await console.key('enter');
		await console.waitFor(text => text.includes('gateway refused 3') && /failed\s+3/.test(text), 'the failed jobs of emails');
		await console.key(':');
		await console.type('job emails 2');
		await console.key('enter');
		await console.waitFor(text => text.includes('+255711222333') && text.includes('emails / 2'), 'job 2 of emails');
		await console.key(':');
		await console.type('frobnicate');
		await console.key('enter');
		await console.waitFor(text => text.includes('unknown command ":frobnicate"'), 'the error');
		await console.key(':');
		await console.type('jobs nosuch');
		await console.key('enter');
		await console.waitFor(text => text.includes('no queue "nosuch"'), 'the unknown queue named');
	});

	it('p says what it did and u undoes it (resume); the flash stays with the view that raised it', async () => {
		let paused = false;
		const {api, console} = await open({
			snapshot: async () => snapshotOf(QUEUES.map(queue => ({...queue, paused: queue.name === 'high' && paused}))),
			setPaused: async (queue: string, next: boolean) => {
				paused = next;
				return {queue, action: next ? 'pause' : 'resume', count: 0, dryRun: false};
			},
			workers: async () => ({processes: [], foreign: []}),
		});
		await console.press('pause', 'queues');
		await console.waitFor(text => text.includes('paused high · u: resume high'), 'the outcome with its undo');
		await console.key('u');
		await console.waitFor(text => text.includes('resumed high · u: pause high'), 'the undo done');
		assert.deepEqual(callsOf(api, 'setPaused'), [['high', true], ['high', false]]);
		await console.key('tab');
		await console.key('tab');
		await console.waitFor(text => text.includes('no live workers'), 'the workers view');
		assert.doesNotMatch(console.frame(), /resumed high/, 'the queues view\'s flash on the workers view');
		// Back on the queues view by the command line (the same place in the stack): what it said before stays said.
		await console.key(':');
		await console.type('queues');
		await console.key('enter');
		await console.waitFor(text => text.includes('notifications') && !text.includes('no live workers'), 'the queues view again');
		assert.doesNotMatch(console.frame(), /resumed high/, 'the old flash came back with the view');
	});

	it('/ in the jobs view filters as it is typed, by data too (a phone number), and the filter is there again after a job and back', async () => {
		const {console} = await open({job: async () => ({...JOBS[1]!, opts: {}, stacktrace: [], returnvalue: null, progress: 0, attemptsStarted: 3, parent: null, processedBy: null, logs: {total: 0, lines: []}})});
		await console.key(':');
		await console.type('jobs emails failed');
		await console.key('enter');
		await console.waitFor(text => text.includes('gateway refused 3'), 'the failed jobs');
		await console.press('filter', 'jobs');
		await console.type('71122');
		// Not submitted: the page is filtered already.
		const filtered = await console.waitFor(text => !text.includes('gateway refused 1'), 'the page filtered while typing');
		assert.match(filtered, /gateway refused 2/);
		await console.key('enter');
		await console.press('inspect', 'jobs');
		await console.waitFor(text => text.includes('emails / 2'), 'job 2');
		await console.key('q');
		const back = await console.waitFor(text => /filter "71122"/.test(text), 'the jobs view with its filter');
		assert.doesNotMatch(back, /gateway refused 1/);
	});

	for (const size of [{columns: 80, rows: 24}, {columns: 60, rows: 20}]) {
		it(`? at ${size.columns}×${size.rows}: every key of the view and the global ones, whole, scrolled with PgDn; no line wider than the terminal`, async () => {
			const api = fixtureApi({snapshot: async () => snapshotOf(QUEUES), queueNames: async () => QUEUES.map(queue => queue.name), jobs: pages});
			harness = await renderConsole(api, {view: 'jobs', queue: 'emails', state: 'failed'}, size);
			await harness.waitFor(text => text.includes('gateway refused 1'), 'the jobs');
			await harness.key('?');
			let seen = '';
			for (let page = 0; page < 10; page++) {
				const frame = harness.frame();
				assert.ok(frame.split('\n').every(line => line.length <= size.columns), `a line wider than ${size.columns}:\n${frame}`);
				seen += `${frame}\n`;
				const position = /(\d+)–(\d+) of (\d+)/.exec(frame);
				if (!position || position[2] === position[3]) break;
				await harness.key('pagedown');
			}
			const text = seen.replace(/[│|]/g, ' ').replace(/\s+/g, ' ');
			for (const action of bindings('jobs', false)) {
				assert.ok(text.includes(action.description.split(' ').slice(0, 4).join(' ')), `"${action.description}" (${action.id}) missing from the overlay`);
			}
			await harness.key('escape');
			await harness.waitFor(text => text.includes('gateway refused 1') && !text.includes('Keys of jobs'), 'the overlay closed, the jobs again');
		});
	}

	it('a view that leaves out a key the key table gives it does not compile', () => {
		const none = () => undefined;
		const table = {filter: none, sort: none, 'reverse-sort': none, problems: none, inspect: none};
		const complete: ViewKeys<'schedules'> = {...table, 'run-schedule': none};
		// @ts-expect-error -- the schedules view must handle "run-schedule": the table binds t to it
		const missing: ViewKeys<'schedules'> = {...table};
		// @ts-expect-error -- and a key the table does not give the view is not a handler of it
		const stray: ViewKeys<'schedules'> = {...table, 'run-schedule': none, 'retry-all': none};
		assert.equal(typeof complete['run-schedule'], 'function');
		assert.ok(missing && stray);
	});
});
