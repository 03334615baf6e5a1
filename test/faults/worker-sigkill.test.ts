/**
 * Fault a: workers SIGKILLed under load (issue 9, part 5).
 *
 * Promise: 2,000 jobs (topped up so that at least 400 wait at each kill),
 * 2 workers, one of them killed with SIGKILL mid-run three times and
 * restarted: no job is lost, every job ends in exactly one
 * state, and the effects that happened twice are at most the jobs in flight
 * at the kills — in fact each of them was one of those jobs.
 */
import {describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {waitFor} from '../helpers/keyspace.js';
import {testRedisUrl} from '../helpers/redis-server.js';
import {useSandboxes} from '../helpers/worker-process.js';
import {addLedgerJobs, census, describeCensus, heldBy, keepBusy, ledgerProcessor, openLedger, startLedgerWorker} from '../helpers/ledger.js';

const JOBS = 2000;
/** Kill when the ledger has this many effects, each time the worker in that slot. */
const KILLS: Array<[slot: number, atEffects: number]> = [[0, 300], [1, 800], [0, 1300]];
const QUEUE = 'high';
/** Jobs kept waiting at each kill (added when fewer are left). */
const BUSY = 400;
/** A lock long enough that a loaded machine never loses one by a late renewal (that would be a duplicate no kill caused). */
const ARGS = ['--queue', QUEUE, '--concurrency', '8', '--sleep', '0.2', '--lock-duration', '4000', '--stalled-interval', '1000'];

describe('fault: SIGKILL of workers under load', () => {
	const open = useSandboxes(testRedisUrl());

	it(`${JOBS}+ jobs, 2 workers, ${KILLS.length} kill -9: no job lost, each in one state, effects twice only for jobs in flight at a kill`, async () => {
		const box = open('fault-kill');
		const ledger = openLedger(box.dir);
		const config = box.writeConfig({queues: {[QUEUE]: {timeout: 30}}, processors: {ledger: ledgerProcessor}});
		const client = box.client();
		const keys = await addLedgerJobs(box.queue(QUEUE), 'kill', JOBS, {ms: 10});
		// Restarts go on in the background, so the kills fall while the queue is still busy.
		const workers = [0, 1].map(async () => startLedgerWorker(box, config, ledger, ARGS));
		await Promise.all(workers);
		/** The jobs each killed worker held when it died. */
		const held: string[][] = [];
		const queue = box.queue(QUEUE);
		for (const [index, [slot, atEffects]] of KILLS.entries()) {
			await waitFor(() => ledger.count() >= atEffects, `${atEffects} effects in the ledger`, 30_000);
			const victim = await workers[slot]!;
			// However slowly this machine started the worker, the kill falls on a busy queue and a busy worker.
			await keepBusy(queue, keys, `kill${index}`, BUSY, {ms: 10});
			await waitFor(async () => (await heldBy(client, box.prefix, QUEUE, victim.id)).length > 0, 'the worker to hold jobs', 30_000);
			victim.proc.signal('SIGKILL');
			const exit = await victim.proc.waitForExit(5000, 'the SIGKILLed worker to die');
			assert.equal(exit.signal, 'SIGKILL', victim.proc.describe());
			// Read before the dead worker's locks expire (4 s): exactly its jobs in flight.
			held.push(await heldBy(client, box.prefix, QUEUE, victim.id));
			workers[slot] = startLedgerWorker(box, config, ledger, ARGS);
		}
		await Promise.all(workers);
		await waitFor(async () => {
			const counts = await queue.getJobCounts('completed', 'failed');
			return counts['completed']! + counts['failed']! === keys.size;
		}, 'every job to finish', 60_000);
		const result = await census(client, box.prefix, QUEUE, keys, ledger);
		const inFlight = held.reduce((sum, ids) => sum + ids.length, 0);
		const heldKeys = new Map<string, number>();
		for (const ids of held) for (const id of ids) heldKeys.set(keys.get(id)!, (heldKeys.get(keys.get(id)!) ?? 0) + 1);
		console.log(`fault a (SIGKILL): ${keys.size} jobs, ${KILLS.length} kills: ${result.lost.length} lost, ${result.twice.length} effects twice ≤ ${inFlight} in flight (${held.map(ids => ids.length).join('+')}), ${result.failed.length} failed`);
		assert.ok(inFlight > 0, 'no job was in flight at any kill: the test did not test anything');
		assert.deepEqual(result.misplaced, [], describeCensus(result));
		assert.deepEqual(result.lost, [], describeCensus(result));
		assert.deepEqual(result.strangers, [], describeCensus(result));
		assert.ok(result.extraEffects <= inFlight, `${result.extraEffects} extra effects > ${inFlight} jobs in flight at the kills: ${describeCensus(result)}`);
		for (const key of result.twice) assert.ok(heldKeys.has(key), `${key} took effect twice but no killed worker held it: ${describeCensus(result)}`);
		// A job can only fail here by stalling twice (BullMQ's maxStalledCount 1): held at two kills.
		for (const {id, reason} of result.failed) {
			assert.equal(reason, 'job stalled more than allowable limit', `job ${id} failed: ${reason}`);
			assert.ok((heldKeys.get(keys.get(id)!) ?? 0) >= 2, `job ${id} failed as stalled but was in flight at fewer than two kills`);
		}
	});
});
