/**
 * What a Prometheus scrape reads (README, "Prometheus"): the snapshot of the
 * queues (counts per state, paused, live workers, the age of the job next in
 * line) and each queue's all-time metric totals per job name, which the
 * workers' recorder only ever increments — so the counters made of them never
 * go down while Redis keeps them. Two round trips whatever the number of jobs:
 * the registry of queue names, then the snapshot's pipeline and one of
 * HGETALL per queue (plus the flush time), sent together. It only reads.
 */
import type {Config} from '../config.js';
import {execValues, type Connection} from './connection.js';
import {metricsFlushedKey, metricsTotalKey} from './keys.js';
import {knownQueues, resolveQueues} from './queues.js';
import {takeSnapshot} from './snapshot.js';
import {addHash, type MetricTotals} from '../common/histogram.js';
import type {ScrapeRead} from '../common/types.js';

/** Every queue's totals hash and the flush time, in one pipeline. */
async function readTotals(connection: Connection, queues: readonly string[]): Promise<{totals: ScrapeRead['totals']; lastFlushMs: number | null}> {
	const pipeline = connection.client.pipeline();
	for (const queue of queues) pipeline.hgetall(metricsTotalKey(connection.prefix, queue));
	pipeline.get(metricsFlushedKey(connection.prefix));
	const replies = await execValues(connection, pipeline);
	const totals = queues.map((queue, index) => {
		const byName = new Map<string, MetricTotals>();
		addHash(byName, (replies[index] ?? {}) as Record<string, string>);
		const names = [...byName].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, sums]) => ({name, totals: sums}));
		return {queue, names};
	}).filter(entry => entry.names.length > 0);
	const flushed = Number(replies[queues.length] ?? Number.NaN);
	return {totals, lastFlushMs: Number.isFinite(flushed) && flushed > 0 ? flushed : null};
}

/** The scrape of `only` (checked like --queue) or of every known queue. */
export async function readScrape(connection: Connection, config: Config, only?: readonly string[]): Promise<ScrapeRead> {
	const queues = only ? await resolveQueues(connection, config, only) : await knownQueues(connection, config);
	const [snapshot, totals] = await Promise.all([
		takeSnapshot(connection, {...config, schedules: []}, queues, {onlyTheseQueues: true}),
		readTotals(connection, queues),
	]);
	return {queues: snapshot.queues, ...totals, at: Date.now(), warnings: snapshot.warnings};
}
