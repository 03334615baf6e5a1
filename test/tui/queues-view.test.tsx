/**
 * The console's shell and its queues view on fixed snapshots: the table, the
 * READ-ONLY badge, keys routed by the keymap (help, filter, Enter, Tab, q),
 * dangerous actions that need the queue name typed, and hostile queue names
 * shown inert.
 */
import {afterEach, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {fixtureApi, renderConsole, snapshotOf, type ConsoleHarness} from '../helpers/console.js';

describe('console: shell and queues view', () => {
	let harness: ConsoleHarness | undefined;
	afterEach(() => harness?.unmount());

	it('shows every queue with its counts, and moves the selection with j/k', async () => {
		const api = fixtureApi({snapshot: async () => snapshotOf([{name: 'high', failed: 3, waiting: 12}, {name: 'default'}, {name: 'emails', failed: 7}])});
		harness = await renderConsole(api);
		const frame = await harness.waitFor(text => text.includes('emails'), 'the queue table');
		assert.match(frame, /QUEUE\s+STATE\s+WAITING/);
		assert.match(frame, /▸ high\s+active\s+12/);
		await harness.press('down', 'queues');
		await harness.waitFor(text => /▸ default/.test(text), 'the selection on default');
		await harness.press('up', 'queues');
		await harness.waitFor(text => /▸ high/.test(text), 'the selection back on high');
		// Keys that arrive in one chunk (typed fast, or sent by tmux) are each a key.
		await harness.key('jj');
		await harness.waitFor(text => /▸ emails/.test(text), 'two moves from one chunk');
	});

	it('R asks for the queue name; the right name retries (with its progress), a wrong one does nothing', async () => {
		let release = () => {};
		const batchDone = new Promise<void>(resolve => {
			release = resolve;
		});
		const api = fixtureApi({
			snapshot: async () => snapshotOf([{name: 'emails', failed: 7000}]),
			retryAll: async (queue, onProgress) => {
				onProgress?.({done: 1000, total: 7000});
				await batchDone;
				return {queue, action: 'retry', count: 7000, dryRun: false};
			},
		});
		harness = await renderConsole(api);
		await harness.waitFor(text => text.includes('emails'), 'the queue table');
		await harness.press('retry-all', 'queues');
		await harness.waitFor(text => text.includes('Type "emails" to confirm'), 'the confirmation prompt');
		await harness.type('email');
		await harness.key('enter');
		await harness.waitFor(text => text.includes('not confirmed'), 'the refusal');
		assert.equal(api.calls.filter(call => call.method === 'retryAll').length, 0);
		await harness.press('retry-all', 'queues');
		await harness.type('emails');
		await harness.key('enter');
		await harness.waitFor(text => text.includes('retrying emails: 1,000 of 7,000 (14%)'), 'the progress after the first batch');
		release();
		await harness.waitFor(text => text.includes('retried 7,000 failed jobs of emails'), 'the outcome');
		assert.deepEqual(api.calls.filter(call => call.method === 'retryAll').map(call => call.args[0]), ['emails']);
	});

	it('read-only: a READ-ONLY badge, no writing keys in the footer, and R only says it is off', async () => {
		const api = fixtureApi({readOnly: true, snapshot: async () => snapshotOf([{name: 'emails', failed: 7}])});
		harness = await renderConsole(api);
		const frame = await harness.waitFor(text => text.includes('emails'), 'the queue table');
		assert.match(frame, /READ-ONLY/);
		assert.doesNotMatch(frame, /retry all|flush failed|pause\/resume/);
		await harness.key('R');
		await harness.waitFor(text => text.includes('read-only: "retry all" is off'), 'the read-only note');
		// Reads only: the counts, the sparklines' minute series and the workers' registry.
		assert.deepEqual(api.calls.filter(call => !['snapshot', 'minuteSeries', 'workers'].includes(call.method)), []);
	});

	it('on an 80-column terminal: whole queue names, the less needed columns left out (latency and rate before DELAYED), the READ-ONLY badge kept', async () => {
		const api = fixtureApi({readOnly: true, where: 'redis://redis-primary.saccos.internal.example:6379/0', snapshot: async () => snapshotOf([{name: 'notifications', failed: 2, waiting: 5}, {name: 'high'}])});
		harness = await renderConsole(api, {view: 'queues'}, {columns: 80, rows: 24});
		const frame = await harness.waitFor(text => text.includes('notifications'), 'the queue table');
		const lines = frame.split('\n');
		assert.ok(lines.every(line => line.length <= 80), `a line wider than the terminal:\n${frame}`);
		assert.match(lines[0]!, /^saccos-queue\s+READ-ONLY/);
		assert.match(frame, /QUEUE\s+STATE\s+WAITING\s+ACTIVE\s+FAILED\s+LATENCY\s+JOBS\/MIN\s+FAILED 1H/);
		assert.doesNotMatch(frame, /W-CHILDREN|PRIORITIZED|DELAYED/);
		assert.match(frame, /▸ notifications\s+active\s+5/);
		// The Redis line keeps its latency and memory; the version is what gives way.
		assert.match(lines[1]!, /^Redis standalone · 2 ms · memory /, lines[1]);
	});

	it('on a 50-column terminal: still whole queue names, with STATE, WAITING, ACTIVE and FAILED', async () => {
		harness = await renderConsole(fixtureApi({snapshot: async () => snapshotOf([{name: 'notifications', failed: 2, waiting: 5}, {name: 'high'}])}), {view: 'queues'}, {columns: 50, rows: 20});
		const frame = await harness.waitFor(text => text.includes('QUEUE'), 'the queue table');
		assert.ok(frame.split('\n').every(line => line.length <= 50), `a line wider than the terminal:\n${frame}`);
		assert.match(frame, /QUEUE\s+STATE\s+WAITING\s+ACTIVE\s+FAILED\n/);
		assert.match(frame, /▸ notifications\s+active\s+5\s+0\s+2/);
	});

	it('? lists the keys of the view from the keymap; Esc closes it', async () => {
		harness = await renderConsole(fixtureApi({snapshot: async () => snapshotOf([{name: 'high'}])}));
		await harness.waitFor(text => text.includes('high'), 'the queue table');
		await harness.press('help', 'queues');
		const help = await harness.waitFor(text => text.includes('Keys'), 'the help overlay');
		assert.match(help, /R\s+retry every failed job of the selected queue/);
		assert.match(help, /Tab\s+next view/);
		await harness.key('escape');
		await harness.waitFor(text => text.includes('QUEUE'), 'the table again');
	});

	it('keys sent back to back each act on the view the previous one opened: Tab Tab is the workers view, S-Tab S-Tab the queues again', async () => {
		// The jobs and workers calls fail here (no fixture): the views, their footers and Tab still work.
		harness = await renderConsole(fixtureApi({snapshot: async () => snapshotOf([{name: 'high'}])}));
		await harness.waitFor(text => text.includes('QUEUE'), 'the queue table');
		await harness.burst('tab', 'tab');
		await harness.waitFor(text => text.includes('x stop'), 'the workers view (its footer)');
		await harness.burst('shift-tab', 'shift-tab');
		await harness.waitFor(text => text.includes('R retry all'), 'the queues view again');
	});

	it('/ filters by name; Esc clears the filter', async () => {
		harness = await renderConsole(fixtureApi({snapshot: async () => snapshotOf([{name: 'high'}, {name: 'emails'}, {name: 'notifications'}])}));
		await harness.waitFor(text => text.includes('notifications'), 'the queue table');
		await harness.press('filter', 'queues');
		await harness.type('mail');
		await harness.key('enter');
		const filtered = await harness.waitFor(text => text.includes('filter "mail"'), 'the filtered table');
		assert.match(filtered, /emails/);
		assert.doesNotMatch(filtered, /notifications/);
		await harness.key('escape');
		await harness.waitFor(text => text.includes('notifications'), 'the whole table again');
	});

	it('a hostile queue name is shown with visible placeholders, never raw escapes', async () => {
		harness = await renderConsole(fixtureApi({snapshot: async () => snapshotOf([{name: 'evil\u001b[2J\u009b31m'}])}));
		await harness.waitFor(text => text.includes('evil'), 'the queue table');
		// The bytes Ink wrote, styling included: the name's own escapes must not be among them.
		const raw = harness.rawFrame();
		assert.ok(!raw.includes('\u001b[2J') && !raw.includes('\u009b'), `raw escapes in: ${JSON.stringify(raw)}`);
		assert.match(harness.frame(), /evil␛\[2J/, 'the ESC is shown as a visible placeholder');
	});

	it('Redis hiccups: the last good table stays, marked STALE', async () => {
		let fail = false;
		const api = fixtureApi({
			snapshot: async () => {
				if (fail) throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
				return snapshotOf([{name: 'high', waiting: 5}]);
			},
		});
		harness = await renderConsole(api);
		await harness.waitFor(text => text.includes('high'), 'the queue table');
		fail = true;
		await harness.press('refresh', 'queues');
		const stale = await harness.waitFor(text => text.includes('STALE'), 'the stale marker');
		assert.match(stale, /ECONNREFUSED/);
		assert.match(stale, /▸ high\s+active\s+5/);
	});

	it('Redis down from the start: "cannot load", never an empty "no queues yet"', async () => {
		harness = await renderConsole(fixtureApi({snapshot: async () => {
			throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
		}}));
		const frame = await harness.waitFor(text => text.includes('cannot load the queues'), 'the table saying it could not load');
		assert.match(frame, /cannot load: connect ECONNREFUSED/);
		assert.doesNotMatch(frame, /no queues yet/);
	});
});
