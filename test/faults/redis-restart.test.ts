/**
 * Fault c: Redis restarted under running workers (issue 9, part 5).
 *
 * A private redis-server with an append-only file (as production runs it: a
 * restart keeps the queues) is stopped (SIGTERM) and started again on the
 * same port and data directory while 2 workers process 1,000 jobs.
 *
 * Promise: the workers reconnect by themselves and both go on taking jobs
 * (the ones left over and 200 added after the restart); no job is lost, every
 * job ends in exactly one state, and effects happen twice at most for the
 * jobs in flight at the restart (2 workers × 4 slots).
 */
import {after, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {mkdtempSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {waitFor} from '../helpers/keyspace.js';
import {testRedisUrl} from '../helpers/redis-server.js';
import {usePrivateServers, useSandboxes} from '../helpers/worker-process.js';
import {addLedgerJobs, census, describeCensus, ledgerProcessor, openLedger, startLedgerWorker} from '../helpers/ledger.js';

const JOBS = 1000;
const AFTER = 200;
const QUEUE = 'default';
const CONCURRENCY = 4;
const ARGS = ['--queue', QUEUE, '--concurrency', String(CONCURRENCY), '--sleep', '0.2', '--lock-duration', '4000', '--stalled-interval', '1000'];

describe('fault: Redis restarted under running workers', () => {
	const open = useSandboxes(testRedisUrl());
	const privateServer = usePrivateServers();
	const dataDir = mkdtempSync(path.join(process.env['SACCOS_TEST_TMPDIR'] || os.tmpdir(), 'saccos-fault-aof-'));
	after(() => rmSync(dataDir, {recursive: true, force: true}));

	it(`${JOBS} jobs, 2 workers, redis-server stopped and started again: the workers resume, no job lost`, async () => {
		// The helper's own flags say no persistence; these come after and win.
		const server = await privateServer({args: ['--dir', dataDir, '--appendonly', 'yes', '--appendfsync', 'everysec']});
		const box = open('fault-restart', server.url);
		const ledger = openLedger(box.dir);
		const config = box.writeConfig({queues: {[QUEUE]: {timeout: 30}}, processors: {ledger: ledgerProcessor}});
		const client = box.client();
		const keys = await addLedgerJobs(box.queue(QUEUE), 'restart', JOBS, {ms: 10});
		const workers = await Promise.all([0, 1].map(async () => startLedgerWorker(box, config, ledger, ARGS)));
		await waitFor(() => ledger.count() >= 300, '300 effects in the ledger', 30_000);
		const activeBefore = await client.llen(`${box.prefix}:${QUEUE}:active`);
		await server.restart();
		const effectsAtRestart = ledger.count();
		// Jobs added after the restart, through a client that reconnected by itself.
		for (const [id, key] of await addLedgerJobs(box.queue(QUEUE), 'after', AFTER, {ms: 10})) keys.set(id, key);
		const queue = box.queue(QUEUE);
		await waitFor(async () => {
			const counts = await queue.getJobCounts('completed', 'failed');
			return counts['completed']! + counts['failed']! === JOBS + AFTER;
		}, 'every job to finish after the restart', 60_000);
		const result = await census(client, box.prefix, QUEUE, keys, ledger);
		const resumed = workers.map(worker => ledger.effects().slice(effectsAtRestart).filter(effect => effect.pid === worker.proc.pid).length);
		console.log(`fault c (Redis restart): ${JOBS}+${AFTER} jobs, 1 restart with ${activeBefore} active: ${result.lost.length} lost, ${result.twice.length} effects twice ≤ ${2 * CONCURRENCY} slots, ${resumed.join('+')} effects after it`);
		for (const worker of workers) assert.equal(worker.proc.child.exitCode, null, `a worker exited:\n${worker.proc.describe()}`);
		for (const [index, count] of resumed.entries()) assert.ok(count > 0, `worker ${index} took no job after the restart:\n${workers[index]!.proc.describe()}`);
		assert.deepEqual(result.misplaced, [], describeCensus(result));
		assert.deepEqual(result.lost, [], describeCensus(result));
		assert.deepEqual(result.failed, [], describeCensus(result));
		assert.deepEqual(result.strangers, [], describeCensus(result));
		assert.ok(result.extraEffects <= 2 * CONCURRENCY, `${result.extraEffects} extra effects > ${2 * CONCURRENCY} jobs that can be in flight: ${describeCensus(result)}`);
	});
});
