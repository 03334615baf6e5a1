/**
 * The events view on events the fixture delivers as they come: each shown
 * once with its queue, event and job, worker lifecycle events too; / filters;
 * f pauses (the stream's signal aborts) and resumes (a new stream); hostile
 * fields are inert; leaving the view stops the stream. It opens with the
 * recent events (none twice when the stream starts again); a cursor follows
 * the newest event, Enter opens its job; n hides the noisy events; a delay
 * reads as when the job runs.
 */
import {afterEach, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import type {QueueEvent} from '../../source/data/events.js';
import type {ConsoleApi} from '../../source/store/console-api.js';
import {fixtureApi, renderConsole, type ConsoleHarness} from '../helpers/console.js';

/** Stream ids only grow, as in Redis: each event one after the last. */
let sequence = 0;
const event = (queue: string, name: string, jobId: string | null, fields: Record<string, string> = {}): QueueEvent => ({queue, id: `${Date.UTC(2026, 10, 28, 12, 3, 4)}-${sequence++}`, time: Date.UTC(2026, 10, 28, 12, 3, 4), event: name, jobId, fields});

/** A ConsoleApi whose events() hands the test a way to push events, and records each stream's signal. */
function streaming(history: QueueEvent[] = [], overrides: Partial<ConsoleApi> = {}) {
	const streams: Array<{push(event: QueueEvent): void; signal: AbortSignal}> = [];
	const api = fixtureApi({
		...overrides,
		// As the real one: the latest `perQueue` events of each queue's history when asked for, then live ones.
		events: async (onEvent, signal, onReady, options) => {
			streams.push({push: onEvent, signal});
			const perQueue = options?.recent?.perQueue ?? 0;
			const queues = [...new Set(history.map(entry => entry.queue))];
			const recent = perQueue > 0 ? queues.flatMap(queue => history.filter(entry => entry.queue === queue).slice(-perQueue)) : [];
			for (const entry of recent.sort((a, b) => Number(a.id.split('-')[1]) - Number(b.id.split('-')[1]))) onEvent(entry);
			onReady?.();
			await new Promise<void>(resolve => signal.addEventListener('abort', () => resolve(), {once: true}));
		},
	});
	return {api, streams};
}

describe('console: events view', () => {
	let harness: ConsoleHarness | undefined;
	afterEach(() => harness?.unmount());

	it('shows events as they arrive, worker lifecycle events included; / filters; Esc clears', async () => {
		const {api, streams} = streaming();
		harness = await renderConsole(api, {view: 'events'});
		await harness.waitFor(() => streams.length === 1, 'the stream to start');
		streams[0]!.push(event('emails', 'failed', '43', {failedReason: 'SMTP 421', attemptsMade: '2'}));
		streams[0]!.push(event('high', 'worker.started', null, {workerId: 'vm-w812-ab12', host: 'vm'}));
		streams[0]!.push(event('high', 'completed', '7', {returnvalue: 'null'}));
		const frame = await harness.waitFor(text => text.includes('job 7'), 'the three events');
		assert.match(frame, /12:03:04 emails\s+failed\s+job 43 failedReason=SMTP 421 attemptsMade=2/);
		assert.match(frame, /high\s+worker\.started workerId=vm-w812-ab12 host=vm/);
		assert.match(frame, /3 event\(s\)/);
		await harness.press('filter', 'events');
		await harness.type('smtp');
		await harness.key('enter');
		const filtered = await harness.waitFor(text => text.includes('filter "smtp": 1'), 'the filtered list');
		assert.doesNotMatch(filtered, /job 7/);
		await harness.key('escape');
		await harness.waitFor(text => text.includes('job 7'), 'every event again');
	});

	it('f pauses (the stream stops) and resumes (a new stream); leaving the view stops it too', async () => {
		const {api, streams} = streaming();
		harness = await renderConsole(api, {view: 'events'});
		await harness.waitFor(() => streams.length === 1, 'the stream to start');
		await harness.press('follow', 'events');
		await harness.waitFor(text => text.includes('paused (f follows)'), 'paused');
		assert.doesNotMatch(harness.frame(), /waiting for events/);
		// The stream stops when its effect is cleaned up, just after the paused frame is drawn.
		await harness.waitFor(() => streams[0]!.signal.aborted, 'the stream to stop');
		await harness.press('follow', 'events');
		await harness.waitFor(() => streams.length === 2, 'a new stream');
		await harness.press('next-view', 'events');
		await harness.waitFor(() => streams[1]!.signal.aborted, 'the stream to stop with its view');
	});

	it('hostile event fields are shown inert', async () => {
		const {api, streams} = streaming();
		harness = await renderConsole(api, {view: 'events'});
		await harness.waitFor(() => streams.length === 1, 'the stream to start');
		streams[0]!.push(event('emails', 'failed', 'x\u001b[2J', {failedReason: 'boom\u009b31m\u2028next'}));
		await harness.waitFor(text => text.includes('boom'), 'the event');
		const raw = harness.rawFrame();
		assert.ok(!raw.includes('\u001b[2J') && !raw.includes('\u009b') && !raw.includes('\u2028'), `raw control characters: ${JSON.stringify(raw)}`);
	});

	it('a stream that fails says why; ^R starts it again', async () => {
		let calls = 0;
		const api = fixtureApi({
			events: async (_onEvent, signal) => {
				calls++;
				if (calls === 1) throw new Error('cannot reach Redis at redis://127.0.0.1:6379: connect ECONNREFUSED');
				await new Promise<void>(resolve => signal.addEventListener('abort', () => resolve(), {once: true}));
			},
		});
		harness = await renderConsole(api, {view: 'events'});
		await harness.waitFor(text => text.includes('ECONNREFUSED'), 'the error');
		await harness.press('refresh', 'events');
		await harness.waitFor(text => !text.includes('ECONNREFUSED') && calls === 2, 'a second stream');
	});

	it('opens with the recent events, oldest first; f twice brings them again but shows none twice', async () => {
		const history = Array.from({length: 60}, (_, index) => event(index % 2 === 0 ? 'emails' : 'sms', 'completed', String(index + 1)));
		const {api, streams} = streaming(history);
		harness = await renderConsole(api, {view: 'events'}, {columns: 120, rows: 12});
		const frame = await harness.waitFor(text => text.includes('job 60'), 'the recent events');
		assert.match(frame, /60 event\(s\)/);
		assert.match(frame, /job 59[\s\S]*▸ \S+ sms\s+completed\s+job 60/, 'the newest last, with the cursor');
		assert.doesNotMatch(frame, /waiting for events/);
		await harness.press('follow', 'events');
		await harness.waitFor(() => streams[0]!.signal.aborted, 'the stream to stop');
		await harness.press('follow', 'events');
		await harness.waitFor(() => streams.length === 2, 'a new stream');
		streams[1]!.push(event('emails', 'failed', '61', {failedReason: 'boom'}));
		const again = await harness.waitFor(text => text.includes('job 61'), 'a live event after the history');
		assert.match(again, /61 event\(s\)/, 'the history was not shown twice');
	});

	it('a cursor follows the newest event until moved; Enter opens the selected event\'s job; an event with no job says so', async () => {
		const {api, streams} = streaming([], {job: async (queue, id) => Promise.reject(new Error(`no job ${id} in ${queue}`))});
		harness = await renderConsole(api, {view: 'events'});
		await harness.waitFor(() => streams.length === 1, 'the stream to start');
		streams[0]!.push(event('emails', 'failed', '43', {failedReason: 'SMTP 421'}));
		streams[0]!.push(event('high', 'worker.started', null, {workerId: 'vm-w812-ab12'}));
		await harness.waitFor(text => /▸ \S+ high\s+worker\.started/.test(text), 'the cursor on the newest event');
		await harness.press('inspect', 'events');
		await harness.waitFor(text => text.includes('this worker.started event of high names no job'), 'no job to open');
		streams[0]!.push(event('emails', 'completed', '44'));
		await harness.waitFor(text => /▸ \S+ emails\s+completed\s+job 44/.test(text), 'the cursor on the new newest event');
		await harness.press('up', 'events');
		await harness.press('up', 'events');
		streams[0]!.push(event('emails', 'completed', '45'));
		const held = await harness.waitFor(text => text.includes('job 45'), 'a later event');
		assert.match(held, /▸ \S+ emails\s+failed\s+job 43/, 'the cursor stayed on its event');
		await harness.press('inspect', 'events');
		await harness.waitFor(text => text.includes('no job 43 in emails'), 'the job view of emails/43');
		assert.deepEqual(api.calls.filter(call => call.method === 'job').map(call => call.args), [['emails', '43']]);
	});

	it('n hides the waiting, active and drained events and says how many; n shows them again', async () => {
		const {api, streams} = streaming();
		harness = await renderConsole(api, {view: 'events'});
		await harness.waitFor(() => streams.length === 1, 'the stream to start');
		for (const name of ['waiting', 'active', 'completed', 'waiting', 'drained']) streams[0]!.push(event('emails', name, name === 'drained' ? null : '7'));
		await harness.waitFor(text => text.includes('drained'), 'the events');
		await harness.press('quiet', 'events');
		const quiet = await harness.waitFor(text => text.includes('hidden: 4 (n shows)'), 'the noise hidden');
		assert.match(quiet, /waiting\/active\/drained hidden: 4 \(n shows\)/);
		assert.match(quiet, /emails\s+completed\s+job 7/);
		assert.doesNotMatch(quiet, /\s(waiting|active|drained)\s+job|drained\s*$/m);
		await harness.press('quiet', 'events');
		const all = await harness.waitFor(text => !text.includes('hidden') && text.includes('drained'), 'every event again');
		assert.match(all, /emails\s+active\s+job 7/);
	});

	it('a delayed event says when its job runs, not an epoch number', async () => {
		const {api, streams} = streaming();
		harness = await renderConsole(api, {view: 'events'});
		await harness.waitFor(() => streams.length === 1, 'the stream to start');
		const at = Date.UTC(2026, 10, 28, 12, 3, 4) + 130_000;
		streams[0]!.push(event('emails', 'delayed', '9', {delay: String(at)}));
		streams[0]!.push(event('emails', 'delayed', '10', {delay: String(Date.UTC(2026, 10, 30, 8, 0, 0))}));
		const frame = await harness.waitFor(text => text.includes('job 10'), 'the delayed events');
		assert.match(frame, /delayed\s+job 9 runs in 2m 10s, at 12:05:14/);
		assert.match(frame, /delayed\s+job 10 runs in 1d 19h, at 2026-11-30 08:00:00/);
		assert.doesNotMatch(frame, /delay=\d/);
	});
});
