/**
 * The queues view's rows are built again only for a queue that changed
 * (source/present/queue-rows.ts, QueueRowCache): what the table shows is always
 * what queueTableRow makes of the current snapshot, and an unchanged queue keeps
 * its row object, so the table's props comparison passes it at once.
 */
import {describe, it} from 'node:test';
import assert from 'node:assert/strict';
import type {MinuteSeries, QueueSnapshot} from '../../source/common/types.js';
import {QueueRowCache, queueTableRow, type QueueWorkers} from '../../source/present/queue-rows.js';
import {snapshotOf} from '../helpers/console.js';

const queuesOf = (spec: Parameters<typeof snapshotOf>[0]): QueueSnapshot[] => snapshotOf(spec).queues;
const seriesOf = (queue: string, failed: number): MinuteSeries => ({queue, minutes: [0, 60_000], completed: [4, 6], failed: [0, failed]});
const none = new Map<string, never>();

describe('the queues view\'s row cache', () => {
	it('keeps the row of a queue whose snapshot, series and workers are equal (fresh objects), and shows what queueTableRow shows', () => {
		const cache = new QueueRowCache();
		const spec = [{name: 'high', failed: 3, waiting: 12}, {name: 'emails'}];
		const series = new Map([['high', seriesOf('high', 2)]]);
		const first = cache.rows(queuesOf(spec), series, new Map([['high', {registered: 2, paused: 1}]]));
		const again = cache.rows(queuesOf(spec), series, new Map([['high', {registered: 2, paused: 1}]]));
		assert.equal(again[0], first[0]);
		assert.equal(again[1], first[1]);
		assert.deepEqual(again, queuesOf(spec).map(queue => queueTableRow(queue, series.get(queue.name), queue.name === 'high' ? {registered: 2, paused: 1} : undefined)));
		assert.equal(first[0]!.cells[9], '1 (1 paused)');
	});

	it('builds the row again when any of its inputs changed, and only that row', () => {
		const cache = new QueueRowCache();
		const spec = [{name: 'high', failed: 3, waiting: 12}, {name: 'emails'}];
		const base = cache.rows(queuesOf(spec), none, none);
		const changes: Array<[string, (queues: QueueSnapshot[]) => void, Map<string, MinuteSeries>, Map<string, QueueWorkers>, (row: typeof base[number]) => void]> = [
			['a count', queues => void (queues[0]!.counts.failed = 4), none, none, row => assert.equal(row.cells[8], '4')],
			['the oldest wait', queues => void (queues[0]!.oldestWaitMs = 125_000), none, none, row => assert.equal(row.tone, 'warn')],
			['paused', queues => void (queues[0]!.paused = true), none, none, row => assert.match(row.cells[1]!, /paused/)],
			['the series', () => undefined, new Map([['high', seriesOf('high', 5)]]), none, row => assert.equal(row.cells[15], '5')],
			['its workers', () => undefined, none, new Map([['high', {registered: 1, paused: 1}]]), row => assert.equal(row.cells[9], '1 (1 paused)')],
		];
		for (const [what, change, series, ours, check] of changes) {
			const before = cache.rows(queuesOf(spec), none, none);
			const queues = queuesOf(spec);
			change(queues);
			const after = cache.rows(queues, series, ours);
			assert.notEqual(after[0], before[0], `${what}: the row was not built again`);
			check(after[0]!);
			assert.deepEqual(after[0], queueTableRow(queues[0]!, series.get('high'), ours.get('high')), what);
			assert.equal(after[1], before[1], `${what}: the other queue's row was built again`);
		}
	});

	it('forgets a queue gone from the snapshot', () => {
		const cache = new QueueRowCache();
		const [high] = cache.rows(queuesOf([{name: 'high'}, {name: 'emails'}]), none, none);
		cache.rows(queuesOf([{name: 'emails'}]), none, none);
		const [back] = cache.rows(queuesOf([{name: 'high'}, {name: 'emails'}]), none, none);
		assert.notEqual(back, high);
		assert.deepEqual(back, high);
	});
});
