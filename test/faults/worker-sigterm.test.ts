/**
 * Fault b: workers stopped with SIGTERM under load (issue 9, part 5).
 *
 * Promise: 2,000 jobs (topped up so that at least 400 wait at each stop),
 * 2 workers, one of them sent SIGTERM mid-run three times and restarted:
 * each exits 0 within its --stop-timeout, no job is
 * lost, no effect happens twice (the running jobs finish, the ones fetched
 * meanwhile go back to the queue untouched), every job ends completed.
 */
import {describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {waitFor} from '../helpers/keyspace.js';
import {testRedisUrl} from '../helpers/redis-server.js';
import {useSandboxes} from '../helpers/worker-process.js';
import {addLedgerJobs, census, describeCensus, heldBy, keepBusy, ledgerProcessor, openLedger, startLedgerWorker} from '../helpers/ledger.js';

const JOBS = 2000;
const STOPS: Array<[slot: number, atEffects: number]> = [[0, 300], [1, 800], [0, 1300]];
const QUEUE = 'high';
/** Jobs kept waiting at each stop (added when fewer are left). */
const BUSY = 400;
const STOP_TIMEOUT_S = 5;
const ARGS = ['--queue', QUEUE, '--concurrency', '8', '--sleep', '0.2', '--lock-duration', '4000', '--stalled-interval', '1000', '--stop-timeout', String(STOP_TIMEOUT_S)];

describe('fault: SIGTERM of workers under load', () => {
	const open = useSandboxes(testRedisUrl());

	it(`${JOBS}+ jobs, 2 workers, ${STOPS.length} SIGTERMs: each exit 0 within --stop-timeout ${STOP_TIMEOUT_S}s, no job lost, no effect twice`, async () => {
		const box = open('fault-term');
		const ledger = openLedger(box.dir);
		const config = box.writeConfig({queues: {[QUEUE]: {timeout: 30}}, processors: {ledger: ledgerProcessor}});
		const client = box.client();
		const keys = await addLedgerJobs(box.queue(QUEUE), 'term', JOBS, {ms: 10});
		const workers = [0, 1].map(async () => startLedgerWorker(box, config, ledger, ARGS));
		await Promise.all(workers);
		const exits: number[] = [];
		const busy: number[] = [];
		const queue = box.queue(QUEUE);
		for (const [index, [slot, atEffects]] of STOPS.entries()) {
			await waitFor(() => ledger.count() >= atEffects, `${atEffects} effects in the ledger`, 30_000);
			const victim = await workers[slot]!;
			// However slowly this machine started the worker, the stop falls on a busy queue and a busy worker.
			await keepBusy(queue, keys, `term${index}`, BUSY, {ms: 10});
			busy.push((await waitFor(async () => {
				const ids = await heldBy(client, box.prefix, QUEUE, victim.id);
				return ids.length > 0 ? ids : undefined;
			}, 'the worker to hold jobs', 30_000)).length);
			const signalled = performance.now();
			victim.proc.signal('SIGTERM');
			const exit = await victim.proc.waitForExit((STOP_TIMEOUT_S + 10) * 1000, 'the worker to exit on SIGTERM');
			exits.push(Math.round(performance.now() - signalled));
			assert.equal(exit.code, 0, victim.proc.describe());
			workers[slot] = startLedgerWorker(box, config, ledger, ARGS);
		}
		await Promise.all(workers);
		await waitFor(async () => {
			const counts = await queue.getJobCounts('completed', 'failed');
			return counts['completed']! + counts['failed']! === keys.size;
		}, 'every job to finish', 60_000);
		const result = await census(client, box.prefix, QUEUE, keys, ledger);
		console.log(`fault b (SIGTERM): ${keys.size} jobs, ${STOPS.length} SIGTERMs with ${busy.join('+')} jobs in flight: ${result.lost.length} lost, ${result.twice.length} effects twice, exits in ${exits.join('/')} ms (stop timeout ${STOP_TIMEOUT_S * 1000})`);
		for (const ms of exits) assert.ok(ms <= STOP_TIMEOUT_S * 1000, `a worker took ${ms} ms to exit, past its stop timeout of ${STOP_TIMEOUT_S} s`);
		assert.deepEqual(result.misplaced, [], describeCensus(result));
		assert.deepEqual(result.lost, [], describeCensus(result));
		assert.deepEqual(result.failed, [], describeCensus(result));
		assert.deepEqual(result.twice, [], describeCensus(result));
		assert.deepEqual(result.strangers, [], describeCensus(result));
		assert.equal(result.states['completed'], keys.size, describeCensus(result));
	});
});
