#!/usr/bin/env node
// @bench (bench/run.js runs every bench/*.js file carrying this marker)
/**
 * `saccos-queue retry --all` on 50,000 failed jobs versus BullMQ's own bulk
 * retry and a job-by-job script, side by side, on a private redis-server.
 *
 * Claims checked (the issue's, one run):
 *   A1. Wall time of `node bin/saccos-queue.js retry --all --queue Q --yes`
 *       is at most 1.3× that of a bare script running BullMQ's own
 *       `queue.retryJobs({count: 1000, state: 'failed'})` loop.
 *   A2. It is at least 5× faster than a script retrying job by job
 *       (`(await queue.getJob(id)).retry()` over pages of ids from getFailed).
 *   B.  While ours runs, another client's PING (every ~5 ms) never waits more
 *       than 50 ms: max and p99 reported.
 *   C.  Peak RSS of our process barely moves from 5,000 to 50,000 failed jobs
 *       (ratio ≤ 1.25).
 *
 * The failed jobs are made once per size the way another BullMQ application
 * makes them (Queue.addBulk with attempts 1, then a real Worker whose
 * processor throws), every 10th with a priority; the whole keyspace is then
 * DUMPed, and before every timed run the server is FLUSHALLed and the dump
 * RESTOREd: each series starts from a byte-identical keyspace (same ids,
 * hashes, scores, events), without paying the Worker again.
 *
 * The three programs are cold node processes, each under /usr/bin/time
 * (peak RSS; without it /proc/<pid>/status VmHWM is sampled). The bare and
 * job-by-job scripts are this file run with `--child bare|per-job` (so the
 * bench stays one file). Ours and bare alternate run by run.
 *
 * It starts its own redis-server (127.0.0.1, free port, never 6379, no
 * persistence, temp dir) and stops it at the end, also on errors and Ctrl-C.
 * The CLI is the built one: run `npm run build` first. Exit 0 when every claim
 * holds, 1 when one fails, 2 on a usage/setup error.
 *
 *   node bench/retry-all.js [--jobs 50000] [--small 5000] [--runs 5] [--warmup 1]
 *                           [--per-job-runs 1] [--interval 5] [--ratio-limit 1.3]
 *                           [--speedup 5] [--ping-limit 50] [--rss-limit 1.25] [--out FILE]
 */
import {existsSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {setTimeout as sleep} from 'node:timers/promises';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const SELF = fileURLToPath(import.meta.url);
const CLI = path.join(root, 'bin', 'saccos-queue.js');
const PREFIX = 'bull';
const QUEUE = 'loans';
const PRIORITY_EVERY = 10;

// ---------------------------------------------------------------------------
// Child mode: the two baselines, as an application developer would write them.

if (process.argv[2] === '--child') {
	const [, , , mode, url, prefix, queueName] = process.argv;
	const {Queue} = await import('bullmq');
	const queue = new Queue(queueName, {connection: {url}, prefix});
	const started = performance.now();
	let count = 0;
	if (mode === 'bare') {
		count = await queue.getFailedCount();
		await queue.retryJobs({count: 1000, state: 'failed'});
	} else if (mode === 'per-job') {
		for (;;) {
			const page = await queue.getFailed(0, 999);
			if (page.length === 0) break;
			for (const {id} of page) {
				const job = await queue.getJob(id);
				await job.retry('failed', {resetAttemptsMade: true, resetAttemptsStarted: true});
				count++;
			}
		}
	} else {
		process.stderr.write(`retry-all --child: unknown mode ${mode}\n`);
		process.exit(2);
	}
	const ms = performance.now() - started;
	await queue.close();
	process.stdout.write(`${JSON.stringify({count, ms})}\n`);
	process.exit(0);
}

// ---------------------------------------------------------------------------
// Options. The shared helpers are imported here, after child mode, so that the
// baselines' cold start stays as it was.

const {
	parseOptions, childEnv, runProcess, summarize, fmt, note, verdict, table, machineLine, gitDescribe, missingBuild, usedMemory, runMain,
} = await import('./lib/common.js');

const {values: options, intOption, numberOption} = parseOptions('retry-all', {
	jobs: '50000',
	small: '5000',
	runs: '5',
	warmup: '1',
	'per-job-runs': '1',
	interval: '5',
	'ratio-limit': '1.3',
	speedup: '5',
	'ping-limit': '50',
	'rss-limit': '1.25',
	out: undefined,
}, 'usage: node bench/retry-all.js [--jobs 50000] [--small 5000] [--runs 5] [--warmup 1] [--per-job-runs 1]\n'
	+ '                               [--interval 5] [--ratio-limit 1.3] [--speedup 5] [--ping-limit 50] [--rss-limit 1.25] [--out FILE]');

const JOBS = intOption('jobs', 1);
const SMALL = intOption('small', 1);
const RUNS = intOption('runs', 1);
const WARMUP = intOption('warmup', 0);
const PER_JOB_RUNS = intOption('per-job-runs', 1);
const INTERVAL = numberOption('interval', 1);
const RATIO_LIMIT = numberOption('ratio-limit', 0.01);
const SPEEDUP = numberOption('speedup', 0.01);
const PING_LIMIT = numberOption('ping-limit', 0.01);
const RSS_LIMIT = numberOption('rss-limit', 0.01);
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

const {Redis} = await import('ioredis');
const {Queue, Worker} = await import('bullmq');

// ---------------------------------------------------------------------------
// Cleanup: the private redis-server, in-flight children and temp dirs go away
// on every exit path (normal end, error, SIGINT/SIGTERM/SIGHUP).

const {installCleanup, tempDir, startRedis, stopRedis} = await import('./lib/private-redis.js');
installCleanup('retry-all');

// ---------------------------------------------------------------------------
// Failed jobs, made once per size by BullMQ itself, then DUMP/RESTOREd.

/** addBulk in chunks of 1000 (attempts 1, every 10th with a priority), then a Worker whose processor throws. */
async function makeFailed(url, count) {
	const connection = new Redis(url, {maxRetriesPerRequest: null});
	const queue = new Queue(QUEUE, {connection, prefix: PREFIX});
	const started = performance.now();
	try {
		for (let start = 0; start < count; start += 1000) {
			const size = Math.min(1000, count - start);
			await queue.addBulk(Array.from({length: size}, (_, offset) => {
				const index = start + offset;
				return {
					name: 'loan.approved',
					data: {index, loanId: 1000 + index, member: `M-${index}`, amount: 125_000 + index},
					opts: {attempts: 1, ...(index % PRIORITY_EVERY === PRIORITY_EVERY - 1 ? {priority: 1 + (index % 7)} : {})},
				};
			}));
		}
		const worker = new Worker(QUEUE, async job => {
			throw new Error(`core banking timeout (loan ${job.data.loanId})`);
		}, {connection: {url}, prefix: PREFIX, concurrency: 100});
		worker.on('error', () => {});
		let wake;
		worker.on('failed', () => wake?.());
		const deadline = Date.now() + 120_000;
		try {
			for (;;) {
				const failed = await queue.getFailedCount();
				if (failed === count) break;
				if (Date.now() > deadline) throw new Error(`only ${failed}/${count} jobs failed within 120 s`);
				// Woken by the next failure, re-checked after 50 ms at most.
				await new Promise(resolve => {
					const timer = setTimeout(resolve, 50);
					wake = () => {
						clearTimeout(timer);
						wake = undefined;
						resolve();
					};
				});
			}
		} finally {
			await worker.close();
		}
		return {seconds: (performance.now() - started) / 1000};
	} finally {
		await queue.close();
		await connection.quit();
	}
}

/** Every key of the server: [key, pttl, dump]. */
async function snapshot(client) {
	const keys = [];
	let cursor = '0';
	do {
		const [next, batch] = await client.scan(cursor, 'COUNT', 1000);
		cursor = next;
		keys.push(...batch);
	} while (cursor !== '0');
	const entries = [];
	for (let start = 0; start < keys.length; start += 1000) {
		const slice = keys.slice(start, start + 1000);
		const pipeline = client.pipeline();
		for (const key of slice) {
			pipeline.pttl(key);
			pipeline.dumpBuffer(key);
		}
		const replies = await pipeline.exec();
		slice.forEach((key, index) => {
			const ttl = replies[index * 2][1];
			const dump = replies[index * 2 + 1][1];
			if (dump !== null) entries.push([key, ttl > 0 ? ttl : 0, dump]);
		});
	}
	return entries;
}

/** FLUSHALL, then RESTORE the snapshot: the same keyspace, byte for byte. */
async function reset(client, entries, expected) {
	await client.flushall();
	for (let start = 0; start < entries.length; start += 1000) {
		const pipeline = client.pipeline();
		for (const [key, ttl, dump] of entries.slice(start, start + 1000)) pipeline.restore(key, ttl, dump);
		for (const [error] of await pipeline.exec()) if (error) throw error;
	}
	const failed = await client.zcard(`${PREFIX}:${QUEUE}:failed`);
	if (failed !== expected) throw new Error(`after RESTORE: ${failed} failed jobs, expected ${expected}`);
}

// ---------------------------------------------------------------------------
// Runs: a cold child under /usr/bin/time, PING sampled meanwhile.

const workDir = tempDir('cwd'); // no saccos-queue.config.* here
const env = childEnv();

function commandFor(kind, url) {
	if (kind === 'ours') return [CLI, 'retry', '--all', '--queue', QUEUE, '--yes', '--json', '--redis', url, '--prefix', PREFIX];
	return [SELF, '--child', kind, url, PREFIX, QUEUE];
}

/** PING every `interval` ms on a dedicated connection until stop() — each sample is one round trip. */
function pingSampler(client, interval) {
	const samples = [];
	let running = true;
	const done = (async () => {
		while (running) {
			const started = performance.now();
			await client.ping();
			const ms = performance.now() - started;
			samples.push(ms);
			if (ms < interval) await sleep(interval - ms);
		}
	})();
	return {samples, stop: async () => {
		running = false;
		await done;
	}};
}

/** Spawns one program; resolves with wall time (spawn → exit, stdio closed), peak RSS (KiB), stdout, PING samples. */
async function runOnce(kind, server, pinger) {
	const args = commandFor(kind, server.url);
	const rssFile = path.join(workDir, `rss-${kind}-${Date.now()}.txt`);
	const [file, argv] = TIME ? [TIME, ['-f', '%M', '-o', rssFile, process.execPath, ...args]] : [process.execPath, args];
	const sampler = pingSampler(pinger, INTERVAL);
	let hwm = 0;
	let watchHwm;
	const watch = child => {
		watchHwm = setInterval(() => {
			try {
				const kib = Number(readFileSync(`/proc/${child.pid}/status`, 'utf8').match(/VmHWM:\s+(\d+)/)?.[1] ?? 0);
				hwm = Math.max(hwm, kib);
			} catch {/* exited */}
		}, 5);
	};
	const {ms, code, signal, stdout, stderr} = await runProcess(file, argv, {cwd: workDir, env, onSpawn: TIME ? undefined : watch});
	clearInterval(watchHwm);
	await sampler.stop();
	if (code !== 0) throw new Error(`${kind} exited with ${code ?? signal}\n  ${file} ${argv.join(' ')}\n${stdout}${stderr}`);
	const rss = TIME ? Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop()) : hwm;
	rmSync(rssFile, {force: true});
	return {ms, rss, pings: sampler.samples, result: JSON.parse(stdout)};
}

/** What the run left: every job back, none failed; prioritized ones kept (or not). */
async function verify(kind, client, total) {
	const key = suffix => `${PREFIX}:${QUEUE}:${suffix}`;
	const [failed, waiting, prioritized] = await Promise.all([client.zcard(key('failed')), client.llen(key('wait')), client.zcard(key('prioritized'))]);
	if (failed !== 0 || waiting + prioritized !== total) {
		throw new Error(`${kind}: after the run failed ${failed}, waiting ${waiting}, prioritized ${prioritized} (expected 0 failed, ${total} back)`);
	}
	return {waiting, prioritized};
}

// ---------------------------------------------------------------------------
// Statistics and output

const stats = samples => summarize(samples, [0.99]);

// ---------------------------------------------------------------------------

async function main() {
	const benchStarted = performance.now();
	if (missingBuild('retry-all')) return 2;
	const server = await startRedis();
	const pinger = new Redis(server.url, {maxRetriesPerRequest: null});
	const {client} = server;
	const cpus = os.cpus();
	console.log('`saccos-queue retry --all` vs BullMQ retryJobs vs job by job — bench/retry-all.js');
	console.log(machineLine(server.version));
	console.log(`commit ${gitDescribe()} | ${JOBS} failed jobs (every ${PRIORITY_EVERY}th prioritized), ${WARMUP} warm-up + ${RUNS} timed runs of ours and bare (alternated), ${PER_JOB_RUNS} of job by job | PING every ${INTERVAL} ms | peak RSS by ${TIME ? '/usr/bin/time -f %M' : '/proc VmHWM sampling'}`);
	console.log('');

	try {
		// ---- the keyspaces ------------------------------------------------------
		note(`making ${SMALL} failed jobs with BullMQ (addBulk + a throwing Worker)…`);
		await client.flushall();
		const smallFill = await makeFailed(server.url, SMALL);
		const small = await snapshot(client);
		note(`  ${fmt(smallFill.seconds)} s, ${small.length} keys`);
		note(`making ${JOBS} failed jobs with BullMQ…`);
		await client.flushall();
		const bigFill = await makeFailed(server.url, JOBS);
		const big = await snapshot(client);
		const memory = await usedMemory(client);
		note(`  ${fmt(bigFill.seconds)} s, ${big.length} keys, used_memory ${memory}`);
		const idle = pingSampler(pinger, INTERVAL);
		await sleep(500);
		await idle.stop();

		// ---- timed series ---------------------------------------------------------
		const series = {ours: [], bare: [], 'per-job': []};
		const expectedPrioritized = Math.floor(JOBS / PRIORITY_EVERY);
		for (let round = 0; round < WARMUP + RUNS; round++) {
			const order = round % 2 === 0 ? ['ours', 'bare'] : ['bare', 'ours'];
			for (const kind of order) {
				await reset(client, big, JOBS);
				const run = await runOnce(kind, server, pinger);
				run.placed = await verify(kind, client, JOBS);
				if (run.result.count !== JOBS) throw new Error(`${kind} reported ${run.result.count} jobs, expected ${JOBS}`);
				if (round >= WARMUP) series[kind].push(run);
				note(`${round < WARMUP ? 'warm-up' : `run ${round - WARMUP + 1}/${RUNS}`} ${kind}: ${fmt(run.ms, 0)} ms, peak RSS ${Math.round(run.rss / 1024)} MiB, PING max ${fmt(Math.max(...run.pings))} ms`);
			}
		}
		for (let index = 0; index < PER_JOB_RUNS; index++) {
			await reset(client, big, JOBS);
			const run = await runOnce('per-job', server, pinger);
			run.placed = await verify('per-job', client, JOBS);
			series['per-job'].push(run);
			note(`per-job ${index + 1}/${PER_JOB_RUNS}: ${fmt(run.ms, 0)} ms`);
		}
		const smallRuns = [];
		for (let index = 0; index < Math.max(2, RUNS); index++) {
			await reset(client, small, SMALL);
			const run = await runOnce('ours', server, pinger);
			await verify('ours', client, SMALL);
			smallRuns.push(run);
		}
		note(`ours at ${SMALL}: ${smallRuns.map(run => `${fmt(run.ms, 0)} ms / ${Math.round(run.rss / 1024)} MiB`).join(', ')}`);

		// ---- report ---------------------------------------------------------------
		const wall = Object.fromEntries(Object.entries(series).map(([kind, runs]) => [kind, stats(runs.map(run => run.ms))]));
		const rss = Object.fromEntries(Object.entries(series).map(([kind, runs]) => [kind, stats(runs.map(run => run.rss))]));
		const pings = Object.fromEntries(Object.entries(series).map(([kind, runs]) => [kind, stats(runs.flatMap(run => run.pings))]));
		const work = Object.fromEntries(Object.entries(series).map(([kind, runs]) => [kind, kind === 'ours' ? undefined : stats(runs.map(run => run.result.ms))]));
		const kept = Object.fromEntries(Object.entries(series).map(([kind, runs]) => [kind, runs[0].placed.prioritized]));
		const labels = {
			ours: 'saccos-queue retry --all --queue Q --yes',
			bare: 'bare: queue.retryJobs({count: 1000})',
			'per-job': 'job by job: getJob(id).retry()',
		};
		console.log(`Retrying ${JOBS} failed jobs: cold process wall time (spawn → exit), ms`);
		console.log(table(['program', 'runs', 'median', 'min', 'max', 'in-script', 'vs ours', 'peak RSS', 'PING p99', 'PING max', 'prioritized kept'],
			Object.keys(series).map(kind => [
				labels[kind], wall[kind].n, fmt(wall[kind].median, 0), fmt(wall[kind].min, 0), fmt(wall[kind].max, 0),
				work[kind] ? fmt(work[kind].median, 0) : '-',
				`${(wall[kind].median / wall.ours.median).toFixed(2)}×`,
				`${Math.round(rss[kind].median / 1024)} MiB`, fmt(pings[kind].p99), fmt(pings[kind].max),
				`${kept[kind]}/${expectedPrioritized}`,
			]), new Set([1, 2, 3, 4, 5, 6, 7, 8, 9])));
		const idleStats = stats(idle.samples);
		const smallRss = stats(smallRuns.map(run => run.rss));
		const smallWall = stats(smallRuns.map(run => run.ms));
		console.log(`(idle PING: p99 ${fmt(idleStats.p99, 2)} ms, max ${fmt(idleStats.max, 2)} ms over ${idleStats.n} samples; ours at ${SMALL} jobs: ${fmt(smallWall.median, 0)} ms, peak RSS ${Math.round(smallRss.median / 1024)} MiB; keyspace made by BullMQ in ${fmt(bigFill.seconds)} s, ${big.length} keys, ${memory}; "in-script" = the baselines' own timing, without node start-up and imports)`);
		console.log('');

		const ratio = wall.ours.median / wall.bare.median;
		const speedup = wall['per-job'].median / wall.ours.median;
		const rssRatio = rss.ours.median / smallRss.median;
		const claims = {
			a1: ratio <= RATIO_LIMIT,
			a2: speedup >= SPEEDUP,
			b: pings.ours.max <= PING_LIMIT,
			c: rssRatio <= RSS_LIMIT,
		};
		console.log(`CLAIM A1 ${verdict(claims.a1)}: ours ≤ ${RATIO_LIMIT}× bare retryJobs: median ${fmt(wall.ours.median, 0)} vs ${fmt(wall.bare.median, 0)} ms = ${ratio.toFixed(2)}×`);
		console.log(`CLAIM A2 ${verdict(claims.a2)}: ours ≥ ${SPEEDUP}× faster than job by job: ${fmt(wall['per-job'].median, 0)} vs ${fmt(wall.ours.median, 0)} ms = ${speedup.toFixed(1)}×`);
		console.log(`CLAIM B  ${verdict(claims.b)}: PING while ours runs ≤ ${PING_LIMIT} ms: max ${fmt(pings.ours.max)} ms, p99 ${fmt(pings.ours.p99)} ms over ${pings.ours.n} samples (bare: max ${fmt(pings.bare.max)}, job by job: max ${fmt(pings['per-job'].max)})`);
		console.log(`CLAIM C  ${verdict(claims.c)}: peak RSS ${SMALL} → ${JOBS} jobs: ${Math.round(smallRss.median / 1024)} → ${Math.round(rss.ours.median / 1024)} MiB = ${rssRatio.toFixed(2)}× (limit ${RSS_LIMIT}×)`);
		console.log(`NOTE: bare retryJobs put ${expectedPrioritized - kept.bare} prioritized jobs into wait (their priority is ignored from then on); ours and job by job kept ${kept.ours} and ${kept['per-job']}.`);
		console.log(`(bench took ${fmt((performance.now() - benchStarted) / 1000, 0)} s)`);

		if (options.out) {
			writeFileSync(options.out, `${JSON.stringify({
				date: new Date().toISOString(), node: process.version, redis: server.version, cpus: cpus.length, jobs: JOBS, small: SMALL, runs: RUNS, warmup: WARMUP,
				wall, rss, pings, work, kept, idle: idleStats, smallRss, smallWall, ratio, speedup, rssRatio, claims,
			}, null, 2)}\n`);
		}
		return Object.values(claims).every(Boolean) ? 0 : 1;
	} finally {
		pinger.disconnect();
		await stopRedis(server);
	}
}

await runMain('retry-all', main);
