/**
 * The events view on events the fixture delivers as they come: each shown
 * once with its queue, event and job, worker lifecycle events too; / filters;
 * f pauses (the stream's signal aborts) and resumes (a new stream); hostile
 * fields are inert; leaving the view stops the stream.
 */
import {afterEach, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import type {QueueEvent} from '../../source/data/events.js';
import {fixtureApi, renderConsole, type ConsoleHarness} from '../helpers/console.js';

/** Stream ids only grow, as in Redis: each event one after the last. */
let sequence = 0;
const event = (queue: string, name: string, jobId: string | null, fields: Record<string, string> = {}): QueueEvent => ({queue, id: `${Date.UTC(2026, 10, 28, 12, 3, 4)}-${sequence++}`, time: Date.UTC(2026, 10, 28, 12, 3, 4), event: name, jobId, fields});

/** A ConsoleApi whose events() hands the test a way to push events, and records each stream's signal. */
function streaming() {
	const streams: Array<{push(event: QueueEvent): void; signal: AbortSignal}> = [];
	const api = fixtureApi({
		events: async (onEvent, signal, onReady) => {
			streams.push({push: onEvent, signal});
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
});
