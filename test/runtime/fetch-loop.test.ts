/**
 * The fetch loop (source/runtime/fetch-loop.ts) over fake BullMQ workers, so
 * that every fetch is seen: priority order across queues, one job per slot,
 * one blocking fetch (on the first queue only) while all queues are empty,
 * chaining, pause and resume, a fetch error, and the give-back of a job that
 * arrives as the worker stops.
 */
import {describe, it} from 'node:test';
import assert from 'node:assert/strict';
import type {Job, Worker as BullWorker} from 'bullmq';
import {FetchLoop, type FetchLoopOptions} from '../../source/runtime/fetch-loop.js';
import type {Active, Next, Plan} from '../../source/runtime/worker-plans.js';
import {waitFor} from '../helpers/keyspace.js';
import {captureLogger} from '../helpers/log-capture.js';
import {holdsFor} from '../helpers/worker-process.js';

type FakeJob = {id: string; name: string; queue: string; token?: string; givenBack?: string; moveToWait(token?: string): Promise<number>};

/** A queue and its BullMQ Worker as the loop sees them: getNextJob, blocking or not. */
class FakeQueue {
	readonly jobs: FakeJob[] = [];
	readonly fetches: Array<{token: string; block: boolean}> = [];
	/** Blocking fetches waiting for a job (or for `wakeEmpty`, as BullMQ's after --sleep). */
	readonly blocked: Array<(job: FakeJob | undefined) => void> = [];
	fail: Error | undefined;
	#next = 0;

	constructor(readonly name: string) {}

	add(count = 1): FakeJob[] {
		const added = Array.from({length: count}, () => {
			const job: FakeJob = {id: String(++this.#next), name: 'x', queue: this.name, moveToWait: async token => {
				job.givenBack = token;
				return 0;
			}};
			return job;
		});
		this.jobs.push(...added);
		while (this.blocked.length > 0 && this.jobs.length > 0) this.blocked.shift()!(this.jobs.shift());
		return added;
	}

	/** The blocking fetches return empty-handed, as after --sleep. */
	wakeEmpty(): void {
		while (this.blocked.length > 0) this.blocked.shift()!(undefined);
	}

	async getNextJob(token: string, {block = true}: {block?: boolean} = {}): Promise<Job | undefined> {
		this.fetches.push({token, block});
		if (this.fail) throw this.fail;
		const take = (job: FakeJob | undefined) => {
			if (job) job.token = token;
			return job as unknown as Job | undefined;
		};
		if (this.jobs.length > 0 || !block) return take(this.jobs.shift());
		return new Promise(resolve => this.blocked.push(job => resolve(take(job))));
	}
}

const planOf = (queue: FakeQueue, chains: boolean): Plan => ({queue: queue.name, worker: queue as unknown as BullWorker, timeoutSeconds: 60, isolation: 'none', inProcess: true, tries: 1, backoff: undefined, chains});

type Harness = {loop: FetchLoop; ended: Promise<void>; stop(): void; runs: Active[]; finish(entry?: Active, next?: Next): void; log: ReturnType<typeof captureLogger>};

/** A loop over `queues`; each run waits until the test finishes it (`autoFinish`: at once). */
function harness(queues: FakeQueue[], options: {concurrency?: number; autoFinish?: boolean; handOver?: (entry: Active) => Next | undefined} = {}): Harness {
	const stopping = new AbortController();
	const log = captureLogger();
	const runs: Active[] = [];
	const pending = new Map<Active, (next: Next | undefined) => void>();
	const loopOptions: FetchLoopOptions = {
		plans: queues.map((queue, index) => planOf(queue, index === 0)),
		concurrency: options.concurrency ?? 1,
		workerId: 'w',
		stopping: stopping.signal,
		log,
		run: async entry => {
			runs.push(entry);
			if (options.autoFinish) return options.handOver?.(entry);
			return new Promise(resolve => pending.set(entry, resolve));
		},
		started: () => {},
		ended: () => {},
	};
	const loop = new FetchLoop(loopOptions);
	return {
		loop,
		ended: loop.start(),
		stop: () => stopping.abort(),
		runs,
		log,
		finish(entry = [...pending.keys()][0], next) {
			pending.get(entry!)!(next);
			pending.delete(entry!);
		},
	};
}

const names = (runs: Active[]) => runs.map(entry => `${entry.plan.queue}/${entry.job.id}`);

describe('fetch loop', () => {
	it('concurrency 1: runs every waiting job of the first queue before any of the second, whatever their age', async () => {
		const high = new FakeQueue('high');
		const low = new FakeQueue('low');
		low.add(2);
		high.add(3);
		const {runs, stop, ended} = harness([high, low], {autoFinish: true});
		await waitFor(() => runs.length === 5, 'all 5 jobs run');
		assert.deepEqual(names(runs), ['high/1', 'high/2', 'high/3', 'low/1', 'low/2']);
		stop();
		high.wakeEmpty();
		await ended;
	});

	it('concurrency 3: a slot runs one job at a time, and a free slot takes the first queue that has one', async () => {
		const high = new FakeQueue('high');
		const low = new FakeQueue('low');
		low.add(2);
		high.add(4);
		const {loop, runs, finish, stop, ended} = harness([high, low], {concurrency: 3});
		await waitFor(() => runs.length === 3, 'three jobs started');
		assert.deepEqual(names(runs), ['high/1', 'high/2', 'high/3']);
		assert.equal(loop.running().length, 3);
		await holdsFor(() => runs.length === 3, 100, 'no fourth job while three slots are busy');
		finish(runs[1]);
		await waitFor(() => runs.length === 4, 'the freed slot takes the next job');
		assert.equal(names(runs)[3], 'high/4');
		finish(runs[0]);
		await waitFor(() => runs.length === 5, 'then the second queue');
		assert.equal(names(runs)[4], 'low/1');
		stop();
		for (const entry of [...runs]) if (loop.running().includes(entry)) finish(entry);
		high.wakeEmpty();
		await ended;
	});

	it('all queues empty: one slot waits in the blocking fetch, on the first queue only; the others sleep until it returns', async () => {
		const high = new FakeQueue('high');
		const low = new FakeQueue('low');
		const {runs, stop, ended} = harness([high, low], {concurrency: 4, autoFinish: true});
		await waitFor(() => high.blocked.length === 1, 'a blocking fetch');
		await holdsFor(() => high.blocked.length === 1 && high.fetches.filter(fetch => fetch.block).length === 1, 100, 'exactly one blocking fetch');
		assert.ok(low.fetches.every(fetch => !fetch.block), 'a blocking fetch on the second queue');
		// A job of the second queue is found once the blocking fetch returns (after --sleep).
		low.add();
		high.wakeEmpty();
		await waitFor(() => runs.length === 1, 'the second queue\'s job');
		high.add();
		await waitFor(() => runs.length === 2, 'a job added while blocked is taken at once');
		assert.deepEqual(names(runs), ['low/1', 'high/1']);
		stop();
		await ended;
	});

	it('runs the job its predecessor handed over without fetching, with the same token', async () => {
		const high = new FakeQueue('high');
		const [first, second] = high.add(2);
		const chained = high.jobs.splice(1, 1);
		assert.equal(chained[0], second);
		const {runs, stop, ended} = harness([high], {
			autoFinish: true,
			handOver: entry => (entry.job.id === first!.id ? {job: second as unknown as Job, plan: entry.plan, token: entry.token} : undefined),
		});
		await waitFor(() => runs.length === 2, 'both jobs run');
		assert.deepEqual(names(runs), ['high/1', 'high/2']);
		assert.equal(runs[1]!.token, runs[0]!.token);
		assert.equal(runs[0]!.token, 'w:1');
		assert.equal(second!.token, undefined, 'the handed-over job was fetched with getNextJob');
		stop();
		high.wakeEmpty();
		await ended;
	});

	it('pause: running jobs finish, no new one starts; resume takes them again', async () => {
		const high = new FakeQueue('high');
		high.add(1);
		const {loop, runs, finish, stop, ended} = harness([high]);
		await waitFor(() => runs.length === 1, 'the first job');
		loop.pause();
		high.add(1);
		finish();
		await holdsFor(() => runs.length === 1 && high.jobs.length === 1, 100, 'no job starts while paused');
		assert.equal(loop.paused, true);
		loop.resume();
		await waitFor(() => runs.length === 2, 'the job runs after resume');
		stop();
		finish();
		await ended;
	});

	it('a fetch error is logged with its retry delay, and fetching goes on', async () => {
		const high = new FakeQueue('high');
		high.fail = new Error('Connection is closed.');
		const {runs, log, stop, ended} = harness([high], {autoFinish: true});
		await waitFor(() => log.find('fetching jobs failed').length > 0, 'the warning');
		assert.deepEqual(log.find('fetching jobs failed')[0]!.fields, {err: 'Connection is closed.', retryInMs: 250});
		high.fail = undefined;
		high.add(1);
		await waitFor(() => runs.length === 1, 'the job after the fault passed', 5000);
		stop();
		high.wakeEmpty();
		await ended;
	});

	it('stop: the slots end; a job the blocking fetch returns too late goes back to its queue with its token', async () => {
		const high = new FakeQueue('high');
		const {runs, stop, ended} = harness([high], {concurrency: 2, autoFinish: true});
		await waitFor(() => high.blocked.length === 1, 'a blocking fetch');
		stop();
		await ended;
		const [late] = high.add(1);
		await waitFor(() => late!.givenBack !== undefined, 'the late job given back');
		assert.equal(late!.givenBack, late!.token);
		assert.equal(runs.length, 0);
	});
});
