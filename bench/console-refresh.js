#!/usr/bin/env node
// @bench (bench/run.js runs every bench/*.js file carrying this marker)
/**
 * One console refresh with ~100 jobs versus 200,000 jobs in the seed queues,
 * next to a naive bull-board-style dashboard refresh, on a private redis-server.
 *
 * The standard checked: *a console refresh costs O(queues), not O(jobs) — one
 * pipelined round trip.* Claims (exit 1 when one fails):
 *   i.   The console's queues-view refresh (`api.snapshot()`) with 200,000 jobs
 *        takes at most 1.5× (median) its time with ~100 jobs, and issues the
 *        same Redis commands in both.
 *   ii.  That refresh is ONE pipelined round trip: exactly one socket write on
 *        the console's ioredis connection, and no second write after a reply,
 *        in every timed refresh on both keyspaces.
 *   iii. The jobs-view refresh (`api.snapshot()` + `api.jobs(Q, 'failed', 50, 0)`,
 *        concurrently, as the view's two pollers do) with 200,000 jobs takes at
 *        most 1.5× (median) its time with ~100 jobs.
 * For information, measured the same way: a naive dashboard refresh as
 * bull-board-style tools do it, with BullMQ's Queue API on one shared ioredis
 * connection — `getJobCounts()` per queue, serially (queues view), plus
 * `getJobs(['failed'], 0, 49)` of the open queue (jobs view).
 *
 * Two private redis-servers with the same flags: one holds ~100 jobs (every
 * seed queue 8 completed, 4 failed, 2 waiting, 1 delayed, but the jobs view's
 * queue 50 failed, so its page is full in both), the other 200,000 (per queue
 * 60 % completed, 34 % failed, 4 % waiting, 2 % delayed). Both are filled by
 * BullMQ itself (`Queue.addBulk`, the delayed jobs with a delay), then the
 * completed and failed ones are moved by direct commands, as BullMQ's
 * moveToFinished leaves them (HSET processedOn, finishedOn, atm, ats and
 * returnvalue or failedReason + stacktrace; ZADD completed|failed; LTRIM wait).
 *
 * Each measurement is a child process (this file with `--child`), so that RSS
 * is that of one console (or dashboard) alone: console/naive × ~100/200k jobs,
 * the order reversed every other round. A child connects the way the console
 * does (`loadConfig({redis, prefix})`, `connect(config, 'console')`,
 * `createConsoleApi`, all from the BUILT dist/), refreshes the two views
 * alternately (warm-up first), and counts per refresh: wall time; commands
 * sent by the client (its ioredis `sendCommand`); socket writes; round trips
 * (bursts of writes with no reply read in between: a write after the socket
 * delivered data starts a new one); and, over `--command-runs` extra refreshes
 * per view, the commands Redis executed (INFO commandstats delta on a separate
 * connection, the measuring INFO subtracted; commands run inside BullMQ's Lua
 * scripts count here too). RSS is read after the timed refreshes.
 *
 * It starts its own redis-servers (127.0.0.1, free port, never 6379, no
 * persistence, temp dir) and stops them at the end, also on errors and Ctrl-C.
 * The console code is the built one (dist/): run `npm run build` first. Exit 0
 * when every claim holds, 1 when one fails, 2 on a usage/setup error.
 *
 *   node bench/console-refresh.js [--jobs 200000] [--refreshes 50] [--warmup 10]
 *        [--rounds 3] [--command-runs 10] [--queue default] [--page 50]
 *        [--limit 1.5] [--out FILE]
 *
 * Internal: `--child JSON` runs one measurement (console or naive).
 */
import {writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';
import {
	parseOptions, childEnv, runProcess, summarize, calibrate, commandDelta, breakdown, usedMemory,
	fmt as fixed, note, verdict, table, machineLine, gitDescribe, missingBuild, staleBuild, runMain,
} from './lib/common.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const SELF = fileURLToPath(import.meta.url);
const PREFIX = 'bull';
const SEED_QUEUES = ['high', 'default', 'emails', 'notifications'];
/** The small keyspace, per queue (the jobs view's queue gets `--page` failed jobs instead). */
const SMALL = {completed: 8, failed: 4, waiting: 2, delayed: 1};
/** The big keyspace's shares of `--jobs / 4` per queue (delayed takes the rest). */
const SHARES = {completed: 0.6, failed: 0.34, waiting: 0.04};
const STACK = [
	'Error: core banking API timed out after 30000 ms (POST /v2/notifications/sms)',
	'    at CoreBankingClient.request (/srv/saccos/app/jobs/clients/core-banking.js:212:15)',
	'    at async SendNotification.handle (/srv/saccos/app/jobs/send-notification.js:48:20)',
	'    at async Processor.run (/srv/saccos/app/jobs/processor.js:91:14)',
	'    at async Worker.processJob (/srv/saccos/node_modules/bullmq/dist/cjs/classes/worker.js:578:21)',
].join('\n');

// ---------------------------------------------------------------------------
// Child mode: one console (or naive dashboard) process, measured from inside.

/**
 * Counts, on one ioredis client: commands sent (`sendCommand`, which pipelines
 * also go through), socket writes, and round trips — a write starts a new
 * round trip when the socket delivered data since the previous write (or when
 * `newRefresh()` was called). Writes issued back to back in one tick (a
 * pipeline, or two pipelines started together) are one round trip.
 */
function instrument(client) {
	const counter = {sent: 0, writes: 0, trips: 0, replied: true};
	const sendCommand = client.sendCommand;
	client.sendCommand = function (...args) {
		counter.sent++;
		return sendCommand.apply(this, args);
	};
	const {stream} = client;
	const write = stream.write;
	stream.write = function (...args) {
		counter.writes++;
		if (counter.replied) {
			counter.trips++;
			counter.replied = false;
		}
		return write.apply(this, args);
	};
	stream.on('data', () => {
		counter.replied = true;
	});
	return {
		counter,
		newRefresh: () => {
			counter.replied = true;
			return {sent: counter.sent, writes: counter.writes, trips: counter.trips};
		},
	};
}

async function runChild(spec) {
	const {Redis} = await import('ioredis');
	const {mode, url, queue, page, warmup, refreshes, commandRuns} = spec;
	let views;
	let client;
	let close;
	if (mode === 'console') {
		const dist = file => pathToFileURL(path.join(root, 'dist', file)).href;
		const [{loadConfig}, {connect}, {createConsoleApi}] = await Promise.all([
			import(dist('config.js')), import(dist('data/connection.js')), import(dist('store/console-api.js')),
		]);
		const config = await loadConfig({redis: url, prefix: PREFIX}, {});
		if (config.queueOrder.join() !== SEED_QUEUES.join()) throw new Error(`config has queues ${config.queueOrder.join(', ')} (from ${config.file ?? 'defaults'}), expected the seed's`);
		const connection = await connect(config, 'console');
		const api = createConsoleApi({connection, config, openController: async () => {
			throw new Error('the bench opens no process backend');
		}});
		client = connection.client;
		close = () => connection.close();
		views = {
			queues: async () => {
				const snapshot = await api.snapshot();
				return {counts: Object.fromEntries(snapshot.queues.map(entry => [entry.name, entry.counts]))};
			},
			jobs: async () => {
				const [snapshot, jobs] = await Promise.all([api.snapshot(), api.jobs(queue, 'failed', page, 0)]);
				return {
					counts: Object.fromEntries(snapshot.queues.map(entry => [entry.name, entry.counts])),
					page: jobs.jobs.length, total: jobs.total,
					withReason: jobs.jobs.filter(job => job.state === 'failed' && job.failedReason).length,
				};
			},
		};
	} else if (mode === 'naive') {
		const {Queue} = await import('bullmq');
		client = new Redis(url, {maxRetriesPerRequest: null});
		await client.ping();
		const queues = SEED_QUEUES.map(name => new Queue(name, {connection: client, prefix: PREFIX}));
		await Promise.all(queues.map(entry => entry.waitUntilReady()));
		const open = queues[SEED_QUEUES.indexOf(queue)];
		const counts = async () => {
			const result = {};
			for (const entry of queues) result[entry.name] = await entry.getJobCounts();
			return result;
		};
		close = async () => {
			for (const entry of queues) await entry.close();
			await client.quit();
		};
		views = {
			queues: async () => ({counts: await counts()}),
			jobs: async () => {
				const result = await counts();
				const jobs = await open.getJobs(['failed'], 0, page - 1);
				return {counts: result, page: jobs.length, total: result[queue].failed, withReason: jobs.filter(job => job.failedReason).length};
			},
		};
	} else {
		throw new Error(`unknown child mode ${mode}`);
	}
	const probe = instrument(client);

	// ---- timed refreshes, the two views alternated --------------------------
	const per = {};
	for (const view of ['queues', 'jobs']) per[view] = {ms: [], sent: [], writes: [], trips: []};
	const last = {};
	for (let index = 0; index < warmup + refreshes; index++) {
		for (const view of index % 2 === 0 ? ['queues', 'jobs'] : ['jobs', 'queues']) {
			const before = probe.newRefresh();
			const started = performance.now();
			last[view] = await views[view]();
			const ms = performance.now() - started;
			if (index < warmup) continue;
			const {counter} = probe;
			per[view].ms.push(ms);
			per[view].sent.push(counter.sent - before.sent);
			per[view].writes.push(counter.writes - before.writes);
			per[view].trips.push(counter.trips - before.trips);
		}
	}
	const memory = process.memoryUsage();
	const rss = memory.rss;
	const heapUsed = memory.heapUsed;
	const maxRss = process.resourceUsage().maxRSS * 1024;

	// ---- Redis commands per refresh (INFO commandstats, separate connection) --
	const stats = new Redis(url, {maxRetriesPerRequest: 0});
	const calibration = await calibrate(stats);
	const commands = {};
	for (const view of ['queues', 'jobs']) {
		const delta = await commandDelta(stats, calibration, async () => {
			for (let index = 0; index < commandRuns; index++) await views[view]();
		});
		const byCommand = Object.fromEntries([...delta.entries()].map(([name, calls]) => [name, calls / commandRuns]));
		commands[view] = {total: Object.values(byCommand).reduce((a, b) => a + b, 0), byCommand};
	}
	stats.disconnect();
	await close();
	return {mode, per, last, commands, rss, heapUsed, maxRss};
}

if (process.argv[2] === '--child') {
	try {
		const result = await runChild(JSON.parse(process.argv[3]));
		process.stdout.write(`${JSON.stringify(result)}\n`);
		process.exit(0);
	} catch (error) {
		process.stderr.write(`console-refresh --child: ${error.stack ?? error}\n`);
		process.exit(2);
	}
}

// ---------------------------------------------------------------------------
// Options

const {values: options, intOption, numberOption} = parseOptions('console-refresh', {
	jobs: '200000',
	refreshes: '50',
	warmup: '10',
	rounds: '3',
	'command-runs': '10',
	queue: 'default',
	page: '50',
	limit: '1.5',
	out: undefined,
}, 'usage: node bench/console-refresh.js [--jobs 200000] [--refreshes 50] [--warmup 10] [--rounds 3]\n'
	+ '                                     [--command-runs 10] [--queue default] [--page 50] [--limit 1.5] [--out FILE]');

const JOBS = intOption('jobs', 400);
const REFRESHES = intOption('refreshes', 1);
const WARMUP = intOption('warmup', 0);
const ROUNDS = intOption('rounds', 1);
const COMMAND_RUNS = intOption('command-runs', 1);
const PAGE = intOption('page', 1);
const LIMIT = numberOption('limit', 0.01);
const QUEUE = options.queue;
if (!SEED_QUEUES.includes(QUEUE)) {
	process.stderr.write(`console-refresh: --queue must be one of ${SEED_QUEUES.join(', ')}\n`);
	process.exit(2);
}
if (PAGE > 1000) {
	process.stderr.write('console-refresh: --page must be at most 1000 (the console\'s largest page)\n');
	process.exit(2);
}

const {Redis} = await import('ioredis');
const {Queue} = await import('bullmq');
const {installCleanup, tempDir, startRedis, stopRedis} = await import('./lib/private-redis.js');
installCleanup('console-refresh');

// ---------------------------------------------------------------------------
// Keyspaces: jobs added by BullMQ, then moved to completed/failed directly.

function plan(size) {
	const perQueue = {};
	for (const queue of SEED_QUEUES) {
		if (size === 'small') {
			perQueue[queue] = {...SMALL, ...(queue === QUEUE ? {failed: Math.max(SMALL.failed, PAGE)} : {})};
		} else {
			const total = Math.floor(JOBS / SEED_QUEUES.length);
			const completed = Math.round(total * SHARES.completed);
			const failed = Math.round(total * SHARES.failed);
			const waiting = Math.round(total * SHARES.waiting);
			perQueue[queue] = {completed, failed, waiting, delayed: total - completed - failed - waiting};
		}
	}
	return perQueue;
}

async function fill(url, perQueue) {
	const started = performance.now();
	const client = new Redis(url, {maxRetriesPerRequest: null});
	const now = Date.now();
	try {
		for (const [name, want] of Object.entries(perQueue)) {
			const queue = new Queue(name, {connection: client, prefix: PREFIX});
			const immediate = want.completed + want.failed + want.waiting;
			const job = index => ({name: 'send-notification', data: {memberId: index, channel: 'sms', template: 'loan-approved', amount: 125_000 + index}});
			for (let start = 0; start < immediate; start += 1000) {
				await queue.addBulk(Array.from({length: Math.min(1000, immediate - start)}, (_, offset) => ({...job(start + offset), opts: {attempts: 3}})));
			}
			for (let start = 0; start < want.delayed; start += 1000) {
				await queue.addBulk(Array.from({length: Math.min(1000, want.delayed - start)}, (_, offset) => ({...job(immediate + start + offset), opts: {attempts: 3, delay: 3_600_000 + offset}})));
			}
			await queue.close();
			// Ids 1..completed finished, the next `failed` ones failed (the oldest
			// jobs ran); the newest `waiting` stay in wait (BullMQ LPUSHes: newest left).
			const moved = want.completed + want.failed;
			for (let start = 0; start < moved; start += 2000) {
				const pipeline = client.pipeline();
				const members = {completed: [], failed: []};
				for (let index = start; index < Math.min(moved, start + 2000); index++) {
					const id = String(index + 1);
					const processedOn = now - (moved - index) * 20;
					const finishedOn = processedOn + 35;
					const key = `${PREFIX}:${name}:${id}`;
					if (index < want.completed) {
						pipeline.hset(key, 'processedOn', String(processedOn), 'finishedOn', String(finishedOn), 'atm', '1', 'ats', '1', 'returnvalue', '{"sent":true,"provider":"africastalking"}');
						members.completed.push(String(finishedOn), id);
					} else {
						pipeline.hset(key, 'processedOn', String(processedOn), 'finishedOn', String(finishedOn), 'atm', '3', 'ats', '3',
							'failedReason', 'core banking API timed out after 30000 ms (POST /v2/notifications/sms)', 'stacktrace', JSON.stringify([STACK, STACK, STACK]));
						members.failed.push(String(finishedOn), id);
					}
				}
				for (const state of ['completed', 'failed']) if (members[state].length > 0) pipeline.zadd(`${PREFIX}:${name}:${state}`, ...members[state]);
				for (const [error] of await pipeline.exec()) if (error) throw error;
			}
			await client.ltrim(`${PREFIX}:${name}:wait`, 0, want.waiting - 1);
			const [wait, completed, failed, delayed] = await Promise.all(['wait', 'completed', 'failed', 'delayed'].map(state => (state === 'wait' ? client.llen(`${PREFIX}:${name}:wait`) : client.zcard(`${PREFIX}:${name}:${state}`))));
			if (wait !== want.waiting || completed !== want.completed || failed !== want.failed || delayed !== want.delayed) {
				throw new Error(`fill of ${name}: wait ${wait}, completed ${completed}, failed ${failed}, delayed ${delayed}; expected ${JSON.stringify(want)}`);
			}
		}
		const keys = await client.dbsize();
		const memory = await usedMemory(client);
		const jobs = Object.values(perQueue).reduce((sum, want) => sum + want.completed + want.failed + want.waiting + want.delayed, 0);
		return {jobs, keys, memory, seconds: (performance.now() - started) / 1000};
	} finally {
		await client.quit();
	}
}

// ---------------------------------------------------------------------------
// Children

const workDir = tempDir('cwd'); // no saccos-queue.config.* here: the seed defaults apply
const env = childEnv();

async function runChildProcess(spec) {
	const {code, signal, stdout, stderr} = await runProcess(process.execPath, [SELF, '--child', JSON.stringify(spec)], {cwd: workDir, env});
	if (code !== 0) throw new Error(`child ${spec.mode} exited with ${code ?? signal}\n${stdout}${stderr}`);
	return JSON.parse(stdout);
}

/** What a child saw must match the fill: every count, and a full page of failed jobs with their reason. */
function check(label, result, perQueue) {
	for (const view of ['queues', 'jobs']) {
		const {counts} = result.last[view];
		for (const [name, want] of Object.entries(perQueue)) {
			const got = counts[name];
			if (!got) throw new Error(`${label} ${view}: no counts for queue ${name}`);
			for (const state of ['completed', 'failed', 'waiting', 'delayed']) {
				if (got[state] !== want[state]) throw new Error(`${label} ${view}: ${name}/${state} = ${got[state]}, expected ${want[state]}`);
			}
		}
	}
	const jobs = result.last.jobs;
	const expected = Math.min(PAGE, perQueue[QUEUE].failed);
	if (jobs.page !== expected || jobs.withReason !== expected || jobs.total !== perQueue[QUEUE].failed) {
		throw new Error(`${label} jobs view: page of ${jobs.page} jobs (${jobs.withReason} failed with a reason), total ${jobs.total}; expected ${expected} of ${perQueue[QUEUE].failed}`);
	}
}

// ---------------------------------------------------------------------------
// Statistics and output

const stats = samples => summarize(samples, [0.95]);
/** Two decimals by default here: one refresh takes a few ms. */
const fmt = (value, digits = 2) => fixed(value, digits);
const mib = bytes => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
/** "1" when every sample is the same, else "min–max". */
const span = values => {
	const low = Math.min(...values);
	const high = Math.max(...values);
	return low === high ? String(low) : `${low}–${high}`;
};

// ---------------------------------------------------------------------------

async function main() {
	const benchStarted = performance.now();
	if (missingBuild('console-refresh', ['config.js', 'data/connection.js', 'store/console-api.js'])) return 2;
	const stale = staleBuild();

	const sizes = {small: {key: 'small', server: await startRedis(), perQueue: plan('small')}, big: {key: 'big', server: await startRedis(), perQueue: plan('big')}};
	try {
		const cpus = os.cpus();
		console.log('console refresh: ~100 vs 200k jobs, and a naive dashboard — bench/console-refresh.js');
		console.log(machineLine(sizes.small.server.version));
		console.log(`commit ${gitDescribe()} | ${ROUNDS} rounds × (${WARMUP} warm-up + ${REFRESHES} timed refreshes of each view) per child, order alternated | jobs view: queue ${QUEUE}, failed, ${PAGE} per page`);
		if (stale) console.log('WARNING: a file in source/ is newer than dist/: the code measured is the last build (run `npm run build`).');
		console.log('');

		for (const size of Object.values(sizes)) {
			const total = Object.values(size.perQueue).reduce((sum, want) => sum + want.completed + want.failed + want.waiting + want.delayed, 0);
			note(`filling ${size.server.url} with ${total} jobs (BullMQ addBulk, then completed/failed moved directly)…`);
			size.fill = await fill(size.server.url, size.perQueue);
			size.title = size.key === 'small' ? `${size.fill.jobs} jobs` : `${Math.round(size.fill.jobs / 1000)}k jobs`;
			note(`  ${fmt(size.fill.seconds, 1)} s: DBSIZE ${size.fill.keys}, used_memory ${size.fill.memory}`);
		}

		// ---- the children, order reversed every other round ---------------------
		const kinds = [['console', 'small'], ['console', 'big'], ['naive', 'small'], ['naive', 'big']];
		const results = Object.fromEntries(kinds.map(([mode, size]) => [`${mode}/${size}`, []]));
		for (let round = 0; round < ROUNDS; round++) {
			const order = round % 2 === 0 ? kinds : [...kinds].reverse();
			for (const [mode, size] of order) {
				const spec = {mode, url: sizes[size].server.url, queue: QUEUE, page: PAGE, warmup: WARMUP, refreshes: REFRESHES, commandRuns: COMMAND_RUNS};
				const result = await runChildProcess(spec);
				check(`${mode} @${sizes[size].title}`, result, sizes[size].perQueue);
				results[`${mode}/${size}`].push(result);
				note(`round ${round + 1}/${ROUNDS} ${mode} @${sizes[size].title}: queues ${fmt(stats(result.per.queues.ms).median)} ms, jobs ${fmt(stats(result.per.jobs.ms).median)} ms, RSS ${mib(result.rss)}`);
			}
		}

		// ---- aggregate ----------------------------------------------------------
		const summary = {};
		for (const [mode, size] of kinds) {
			const runs = results[`${mode}/${size}`];
			for (const view of ['queues', 'jobs']) {
				const all = key => runs.flatMap(run => run.per[view][key]);
				const commandTotals = runs.map(run => run.commands[view].total);
				summary[`${mode}/${view}/${size}`] = {
					mode, view, size, title: sizes[size].title,
					ms: stats(all('ms')),
					roundMedians: runs.map(run => stats(run.per[view].ms).median),
					sent: all('sent'), writes: all('writes'), trips: all('trips'),
					redisCommands: commandTotals,
					byCommand: runs[0].commands[view].byCommand,
					sameBreakdown: runs.every(run => breakdown(run.commands[view].byCommand) === breakdown(runs[0].commands[view].byCommand)),
					rss: stats(runs.map(run => run.rss)).median,
					maxRss: Math.max(...runs.map(run => run.maxRss)),
				};
			}
		}

		// ---- report ---------------------------------------------------------------
		const labels = {
			'console/queues': 'console: queues view (api.snapshot)',
			'console/jobs': `console: jobs view (+ api.jobs ${QUEUE} failed ${PAGE})`,
			'naive/queues': 'naive: getJobCounts × 4, serially',
			'naive/jobs': `naive: + getJobs(['failed'], 0, ${PAGE - 1})`,
		};
		const order = ['console/queues', 'console/jobs', 'naive/queues', 'naive/jobs'];
		console.log('One refresh, ms (pooled over the rounds); per refresh: commands the client sent, commands Redis executed, socket writes, round trips');
		const rows = [];
		for (const key of order) {
			for (const size of ['small', 'big']) {
				const entry = summary[`${key.split('/')[0]}/${key.split('/')[1]}/${size}`];
				rows.push([labels[key], entry.title, entry.ms.n, fmt(entry.ms.median), fmt(entry.ms.p95), fmt(entry.ms.max), span(entry.sent), span(entry.redisCommands), span(entry.writes), span(entry.trips), mib(entry.rss)]);
			}
		}
		console.log(table(['refresh', 'keyspace', 'n', 'median', 'p95', 'max', 'sent', 'redis', 'writes', 'round trips', 'RSS'], rows, new Set([2, 3, 4, 5, 6, 7, 8, 9, 10])));
		console.log(`(${sizes.small.title}: DBSIZE ${sizes.small.fill.keys}, used_memory ${sizes.small.fill.memory}; ${sizes.big.title}: DBSIZE ${sizes.big.fill.keys}, used_memory ${sizes.big.fill.memory}, filled in ${fmt(sizes.big.fill.seconds, 1)} s. RSS = the child's, after its timed refreshes, median of ${ROUNDS}; "redis" counts commands run inside Lua scripts too)`);
		console.log('');
		console.log(`${sizes.big.title} / ${sizes.small.title}`);
		const ratioRows = order.map(key => {
			const [mode, view] = key.split('/');
			const small = summary[`${mode}/${view}/small`];
			const big = summary[`${mode}/${view}/big`];
			return [labels[key], `${fmt(big.ms.median / small.ms.median)}×`, `${fmt(big.ms.p95 / small.ms.p95)}×`, `${fmt(big.rss / small.rss)}×`, breakdown(big.byCommand)];
		});
		console.log(table(['refresh', 'median', 'p95', 'RSS', `Redis commands per refresh (${sizes.big.title})`], ratioRows, new Set([1, 2, 3])));
		console.log('');

		// ---- claims ---------------------------------------------------------------
		const get = (mode, view, size) => summary[`${mode}/${view}/${size}`];
		const cq = {small: get('console', 'queues', 'small'), big: get('console', 'queues', 'big')};
		const cj = {small: get('console', 'jobs', 'small'), big: get('console', 'jobs', 'big')};
		const queuesRatio = cq.big.ms.median / cq.small.ms.median;
		const jobsRatio = cj.big.ms.median / cj.small.ms.median;
		const commandsOf = entry => [...new Set([...entry.redisCommands, ...entry.sent])];
		const sameCommands = breakdown(cq.small.byCommand) === breakdown(cq.big.byCommand) && cq.small.sameBreakdown && cq.big.sameBreakdown
			&& new Set([...cq.small.redisCommands, ...cq.big.redisCommands]).size === 1 && new Set([...cq.small.sent, ...cq.big.sent]).size === 1;
		const oneTrip = [cq.small, cq.big].every(entry => entry.writes.every(count => count === 1) && entry.trips.every(count => count === 1));
		const claims = {
			i: queuesRatio <= LIMIT && sameCommands,
			ii: oneTrip,
			iii: jobsRatio <= LIMIT,
		};
		const naiveQ = {small: get('naive', 'queues', 'small'), big: get('naive', 'queues', 'big')};
		const naiveJ = {small: get('naive', 'jobs', 'small'), big: get('naive', 'jobs', 'big')};
		console.log(`CLAIM i   ${verdict(claims.i)}: queues view ${sizes.big.title} ≤ ${LIMIT}× ${sizes.small.title}: median ${fmt(cq.big.ms.median)} vs ${fmt(cq.small.ms.median)} ms = ${fmt(queuesRatio)}× (p95 ${fmt(cq.big.ms.p95 / cq.small.ms.p95)}×; per-round medians ${cq.small.roundMedians.map(ms => fmt(ms)).join('/')} vs ${cq.big.roundMedians.map(ms => fmt(ms)).join('/')} ms); Redis commands ${commandsOf(cq.small).join('/')} → ${commandsOf(cq.big).join('/')}${sameCommands ? ' (same, command by command)' : ' (DIFFERENT)'}`);
		console.log(`CLAIM ii  ${verdict(claims.ii)}: queues view = one pipelined round trip: socket writes ${span([...cq.small.writes, ...cq.big.writes])}, round trips ${span([...cq.small.trips, ...cq.big.trips])} in every one of ${cq.small.ms.n + cq.big.ms.n} timed refreshes, carrying ${span([...cq.small.sent, ...cq.big.sent])} commands (jobs view: ${span([...cj.small.writes, ...cj.big.writes])} writes in ${span([...cj.small.trips, ...cj.big.trips])} round trips)`);
		console.log(`CLAIM iii ${verdict(claims.iii)}: jobs view ${sizes.big.title} ≤ ${LIMIT}× ${sizes.small.title}: median ${fmt(cj.big.ms.median)} vs ${fmt(cj.small.ms.median)} ms = ${fmt(jobsRatio)}× (p95 ${fmt(cj.big.ms.p95 / cj.small.ms.p95)}×); Redis commands ${commandsOf(cj.small).join('/')} → ${commandsOf(cj.big).join('/')}`);
		console.log(`INFO naive: queues view ${fmt(naiveQ.small.ms.median)} → ${fmt(naiveQ.big.ms.median)} ms = ${fmt(naiveQ.big.ms.median / naiveQ.small.ms.median)}× (${fmt(naiveQ.big.ms.median / cq.big.ms.median, 1)}× the console's at ${sizes.big.title}; ${span(naiveQ.big.trips)} round trips), jobs view ${fmt(naiveJ.small.ms.median)} → ${fmt(naiveJ.big.ms.median)} ms = ${fmt(naiveJ.big.ms.median / naiveJ.small.ms.median)}× (${fmt(naiveJ.big.ms.median / cj.big.ms.median, 1)}× the console's; ${span(naiveJ.big.trips)} round trips, ${span(naiveJ.big.writes)} writes)`);
		console.log(`(bench took ${fmt((performance.now() - benchStarted) / 1000, 0)} s)`);

		if (options.out) {
			writeFileSync(options.out, `${JSON.stringify({
				date: new Date().toISOString(), node: process.version, redis: sizes.small.server.version, cpus: cpus.length,
				jobs: JOBS, refreshes: REFRESHES, warmup: WARMUP, rounds: ROUNDS, commandRuns: COMMAND_RUNS, queue: QUEUE, page: PAGE, limit: LIMIT,
				keyspaces: Object.fromEntries(Object.values(sizes).map(size => [size.key, {title: size.title, perQueue: size.perQueue, fill: size.fill}])),
				summary, ratios: {queues: queuesRatio, jobs: jobsRatio}, sameCommands, oneTrip, claims,
			}, null, 2)}\n`);
		}
		return Object.values(claims).every(Boolean) ? 0 : 1;
	} finally {
		for (const size of Object.values(sizes)) await stopRedis(size.server);
	}
}

await runMain('console-refresh', main);
