/**
 * The fault suite's side-effect ledger: what really happened outside Redis,
 * counted exactly, beside what Redis says happened.
 *
 * The ledger processor (processors/ledger.js) appends one line per effect to
 * an append-only file (a single write(2) on an O_APPEND descriptor: lines of
 * several workers never interleave, and a SIGKILL can only fall between
 * lines). A file rather than a Redis set, because the faults under test take
 * Redis itself away: the ledger must not go with it.
 *
 * census() then puts the two side by side for a queue:
 *   - every job is in exactly one of BullMQ's state lists (no job in two, none in none);
 *   - lost: a job that is neither completed with its effect nor failed (visible, retryable);
 *   - twice: jobs whose effect happened more than once, to compare with the jobs
 *     in flight at the faults (inFlight(), read at each fault).
 */
import {existsSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import type {Queue} from 'bullmq';
import type {Redis} from 'ioredis';
import {placement} from './failed-jobs.js';
import {line, type LongProcess, type Sandbox} from './worker-process.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The processor to map a job name to in the config (`{processors: {ledger: ledgerProcessor}}`). */
export const ledgerProcessor = path.join(here, 'processors', 'ledger.js');

/** One effect: the job's key (data.k), where it ran, its attempt and the pid that ran it. */
export type Effect = {key: string; job: string; attempt: number; pid: number};

export type Ledger = {
	file: string;
	/** The environment a worker needs to write this ledger. */
	env: {SACCOS_TEST_LEDGER: string};
	effects(): Effect[];
	/** How many effect lines so far (cheap enough to poll). */
	count(): number;
	/** key → number of effects. */
	tally(): Map<string, number>;
};

export function openLedger(dir: string, name = 'ledger.txt'): Ledger {
	const file = path.join(dir, name);
	const read = (): string => (existsSync(file) ? readFileSync(file, 'latin1') : '');
	const effects = (): Effect[] => read().split('\n').filter(Boolean).map(text => {
		const [key, job, attempt, pid] = text.split(' ');
		return {key: key!, job: job!, attempt: Number(attempt), pid: Number(pid)};
	});
	return {
		file,
		env: {SACCOS_TEST_LEDGER: file},
		effects,
		count() {
			let lines = 0;
			const text = read();
			for (let index = text.indexOf('\n'); index !== -1; index = text.indexOf('\n', index + 1)) lines++;
			return lines;
		},
		tally() {
			const tally = new Map<string, number>();
			for (const effect of effects()) tally.set(effect.key, (tally.get(effect.key) ?? 0) + 1);
			return tally;
		},
	};
}

/** `count` jobs for the ledger processor, keyed `<tag>-<n>`, added with addBulk in chunks; returns id → key. */
export async function addLedgerJobs(queue: Queue, tag: string, count: number, data: Record<string, unknown> = {}, chunk = 500): Promise<Map<string, string>> {
	const keys = new Map<string, string>();
	for (let start = 0; start < count; start += chunk) {
		const batch = Array.from({length: Math.min(chunk, count - start)}, (_, offset) => ({name: 'ledger', data: {...data, k: `${tag}-${start + offset}`}}));
		const jobs = await queue.addBulk(batch);
		for (const job of jobs) keys.set(job.id!, (job.data as {k: string}).k);
	}
	return keys;
}

/**
 * The jobs a worker holds right now: ids in `active` whose lock carries the
 * worker's token (our worker's tokens are `<workerId>:<n>`). Read at once
 * after a SIGKILL, before the locks expire, it is exactly the set of jobs in
 * flight at the kill.
 */
export async function heldBy(client: Redis, prefix: string, queue: string, workerId: string): Promise<string[]> {
	const active = await client.lrange(`${prefix}:${queue}:active`, 0, -1);
	if (active.length === 0) return [];
	const locks = await client.mget(active.map(id => `${prefix}:${queue}:${id}:lock`));
	return active.filter((_, index) => locks[index]?.startsWith(`${workerId}:`));
}

export type Census = {
	jobs: number;
	/** How many jobs in each state list. */
	states: Record<string, number>;
	/** Jobs in no state list, or in more than one (with where they are). */
	misplaced: string[];
	/** Completed jobs whose effect never happened, and jobs neither completed nor failed. */
	lost: string[];
	/** Failed jobs (with their reason): not lost, but listed. */
	failed: Array<{id: string; reason: string}>;
	/** Keys whose effect happened more than once, and how many extra effects in all. */
	twice: string[];
	extraEffects: number;
	/** Effects of keys that are not among the jobs (should be none). */
	strangers: string[];
};

/**
 * BullMQ's state lists of `queue` against the ledger, for the jobs `keys`
 * (id → key). Read when the queue is quiet (nothing waiting or active).
 */
export async function census(client: Redis, prefix: string, queue: string, keys: Map<string, string>, ledger: Ledger): Promise<Census> {
	const where = await placement(client, prefix, queue);
	const states: Record<string, number> = {};
	const seen = new Map<string, string[]>();
	for (const [state, ids] of Object.entries(where)) {
		states[state] = ids.length;
		for (const id of ids) seen.set(id, [...(seen.get(id) ?? []), state]);
	}
	const tally = ledger.tally();
	const misplaced: string[] = [];
	const lost: string[] = [];
	const failedIds: string[] = [];
	for (const [id, key] of keys) {
		const places = seen.get(id) ?? [];
		if (places.length !== 1) misplaced.push(`${id} (${key}) in ${places.length === 0 ? 'no state' : places.join(' and ')}`);
		if (places.includes('failed')) failedIds.push(id);
		else if (!places.includes('completed') || !tally.has(key)) lost.push(`${id} (${key}): ${places.join(',') || 'nowhere'}, ${tally.get(key) ?? 0} effect(s)`);
	}
	const reasons = failedIds.length === 0 ? [] : await Promise.all(failedIds.map(async id => client.hget(`${prefix}:${queue}:${id}`, 'failedReason')));
	const known = new Set(keys.values());
	const twice = [...tally].filter(([, times]) => times > 1).map(([key]) => key);
	return {
		jobs: keys.size,
		states,
		misplaced,
		lost,
		failed: failedIds.map((id, index) => ({id, reason: reasons[index] ?? ''})),
		twice,
		extraEffects: [...tally.values()].reduce((sum, times) => sum + times - 1, 0),
		strangers: [...tally.keys()].filter(key => !known.has(key)),
	};
}

/** A short line for assertion messages. */
export const describeCensus = (result: Census): string =>
	`${result.jobs} jobs; states ${JSON.stringify(result.states)}; misplaced ${result.misplaced.length} ${result.misplaced.slice(0, 5).join('; ')}; lost ${result.lost.length} ${result.lost.slice(0, 5).join('; ')}; failed ${result.failed.length} ${result.failed.slice(0, 3).map(entry => `${entry.id}: ${entry.reason}`).join('; ')}; twice ${result.twice.length} (${result.twice.slice(0, 10).join(' ')}); strangers ${result.strangers.length}`;

/** A `saccos-queue worker` of a sandbox writing `ledger`, once it has said "worker started"; `id` is its workerId. */
export async function startLedgerWorker(box: Sandbox, config: string, ledger: Ledger, args: readonly string[]): Promise<{proc: LongProcess; id: string}> {
	const proc = box.worker(config, args, ledger.env);
	// A generous deadline: a 2-core machine under load has taken over 15 s to start one.
	const started = await proc.waitForLine(line.started, 'worker started', 45_000);
	return {proc, id: String(started['workerId'])};
}

/**
 * Tops the queue up to `atLeast` waiting jobs (adding them to `keys`), so a
 * fault falls on a busy queue however fast or slow the machine ran so far.
 * Returns how many were added.
 */
export async function keepBusy(queue: Queue, keys: Map<string, string>, tag: string, atLeast: number, data: Record<string, unknown> = {}): Promise<number> {
	const missing = atLeast - await queue.getWaitingCount();
	if (missing <= 0) return 0;
	for (const [id, key] of await addLedgerJobs(queue, tag, missing, data)) keys.set(id, key);
	return missing;
}
