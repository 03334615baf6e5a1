/**
 * The console's poller: a tick never overlaps the previous one (a refresh
 * asked for mid-tick runs once, after it), a failure keeps the last data
 * marked stale and backs off, and stop() ends the polling.
 */
import {describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {startPoller} from '../../source/store/poller.js';
import {waitFor} from '../helpers/keyspace.js';

describe('poller', () => {
	it('never runs two ticks at once: refreshes asked for during a tick become one tick after it', async () => {
		let running = 0;
		let most = 0;
		let calls = 0;
		let release = () => {};
		const poller = startPoller(async () => {
			calls++;
			running++;
			most = Math.max(most, running);
			await new Promise<void>(resolve => {
				release = resolve;
			});
			running--;
			return calls;
		}, 60_000);
		try {
			await waitFor(() => calls === 1, 'the first tick');
			void poller.refresh();
			void poller.refresh();
			void poller.refresh();
			release();
			await waitFor(() => calls === 2, 'one more tick after the first');
			release();
			await waitFor(() => poller.state().data === 2, 'the second result');
			assert.equal(most, 1, 'two ticks overlapped');
			assert.equal(calls, 2, 'three refreshes during one tick made more than one tick');
		} finally {
			poller.stop();
		}
	});

	it('refresh() resolves once a tick that started after it has settled: mid-tick, only after the next one (an action\'s refresh sees its own write)', async () => {
		let calls = 0;
		const releases: Array<() => void> = [];
		const poller = startPoller(async () => {
			calls++;
			await new Promise<void>(resolve => releases.push(resolve));
			return calls;
		}, 60_000);
		try {
			await waitFor(() => calls === 1, 'the first tick');
			let settled = false;
			const refreshed = poller.refresh().then(() => {
				settled = true;
			});
			releases[0]!();
			await waitFor(() => calls === 2, 'the tick the refresh asked for');
			assert.equal(settled, false, 'resolved by the tick that was already running when it asked');
			releases[1]!();
			await refreshed;
			assert.equal(poller.state().data, 2);
		} finally {
			poller.stop();
		}
	});

	it('stop() settles a refresh still waiting', async () => {
		const poller = startPoller(async () => new Promise<never>(() => {}), 60_000);
		const refreshed = poller.refresh();
		poller.stop();
		await refreshed;
	});

	it('a failure keeps the last good data, marked stale with the error; the next success clears it', async () => {
		let fail = false;
		const poller = startPoller(async () => {
			if (fail) throw new Error('connect ECONNREFUSED');
			return 'good';
		}, 60_000);
		try {
			await waitFor(() => poller.state().data === 'good', 'the first data');
			fail = true;
			void poller.refresh();
			await waitFor(() => poller.state().stale, 'the stale mark');
			assert.deepEqual([poller.state().data, poller.state().error], ['good', 'connect ECONNREFUSED']);
			fail = false;
			void poller.refresh();
			await waitFor(() => !poller.state().stale, 'fresh data again');
			assert.equal(poller.state().error, undefined);
		} finally {
			poller.stop();
		}
	});

	it('after a failure the next tick waits twice the interval; after stop() not even a refresh runs one', async () => {
		const starts: number[] = [];
		const poller = startPoller(async () => {
			starts.push(Date.now());
			throw new Error('down');
		}, 100);
		await waitFor(() => starts.length === 3, 'three failing ticks', 5000);
		poller.stop();
		const count = starts.length;
		// Backoff: 200 ms after the first failure, 400 ms after the second.
		assert.ok(starts[1]! - starts[0]! >= 190, `second tick ${starts[1]! - starts[0]!} ms after the first`);
		assert.ok(starts[2]! - starts[1]! >= 390, `third tick ${starts[2]! - starts[1]!} ms after the second`);
		// A refresh after stop() would schedule a tick at 0 ms; a 20 ms timer set after it fires later.
		poller.refresh();
		await new Promise(resolve => setTimeout(resolve, 20));
		assert.equal(starts.length, count, 'a tick ran after stop()');
	});
});
