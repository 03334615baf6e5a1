#!/usr/bin/env node
// @bench (bench/run.js runs every bench/*.js file carrying this marker)
/**
 * Cold `saccos-queue status --json` versus a bare ioredis script, side by side.
 *
 * Claims checked:
 *   1. On the same Redis, a cold `status --json` for the four seed queues takes
 *      at most 1.5× the wall time of a bare Node script that imports ioredis and
 *      reads the same counts in one pipeline (bench/bare-status.js).
 *   2. Its cost does not grow with the number of jobs: same wall time and the
 *      same Redis commands on an empty keyspace and on one holding 200,000
 *      completed jobs (+ 50,000 unrelated keys). bench/scan-status.js, a
 *      dashboard that SCANs the keyspace, is run as a control.
 *
 * It starts its own redis-server (127.0.0.1, free port, never 6379, no
 * persistence, temp dir) and stops it at the end, also on errors and Ctrl-C.
 * The CLI is the built one (bin/saccos-queue.js → dist/): run `npm run build`
 * first. Exit 0 when every claim holds, 1 when one fails, 2 on a usage/setup error.
 *
 *   node bench/cold-status.js [--runs 30] [--warmup 3] [--jobs 200000]
 *                             [--unrelated 50000] [--control-runs 8] [--no-control]
 *                             [--limit 1.5] [--growth-limit 1.10] [--out FILE]
 */
import {writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {installCleanup, tempDir, startRedis, stopRedis} from './lib/private-redis.js';
import {
	parseOptions, childEnv, runProcess, summarize, calibrate, commandDelta, breakdown, usedMemory,
	fmt, verdict, table, machineLine, gitDescribe, missingBuild, staleBuild, runMain,
} from './lib/common.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const CLI = path.join(root, 'bin', 'saccos-queue.js');
const BARE = path.join(here, 'bare-status.js');
const SCAN = path.join(here, 'scan-status.js');
const PREFIX = 'bull';
const SEED_QUEUES = ['high', 'default', 'emails', 'notifications'];
const EXTRA_QUEUES = ['reports', 'sms', 'webhooks', 'exports'];
const STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed'];

// ---------------------------------------------------------------------------
// Options

const {values: options, intOption, positiveOption} = parseOptions('cold-status', {
	runs: '30',
	warmup: '3',
	jobs: '200000',
	unrelated: '50000',
	batch: '5000',
	'control-runs': '8',
	'no-control': false,
	limit: '1.5',
	'growth-limit': '1.10',
	out: undefined,
}, 'usage: node bench/cold-status.js [--runs 30] [--warmup 3] [--jobs 200000] [--unrelated 50000] [--batch 5000]\n'
	+ '                                 [--control-runs 8] [--no-control] [--limit 1.5] [--growth-limit 1.10] [--out FILE]');

const RUNS = intOption('runs', 1);
const WARMUP = intOption('warmup', 0);
const JOBS = intOption('jobs', 1);
const UNRELATED = intOption('unrelated', 0);
const BATCH = intOption('batch', 1);
const CONTROL_RUNS = options['no-control'] ? 0 : intOption('control-runs', 0);
const LIMIT = positiveOption('limit');
const GROWTH_LIMIT = positiveOption('growth-limit');

// ---------------------------------------------------------------------------
// Cleanup: the private redis-server, in-flight children and temp dirs go away
// on every exit path (normal end, error, SIGINT/SIGTERM/SIGHUP).

installCleanup('cold-status');

// ---------------------------------------------------------------------------
// Cold process runs

const workDir = tempDir('cwd'); // no saccos-queue.config.* here: the seed defaults apply
const env = childEnv();

async function runChecked(command) {
	const result = await runProcess(process.execPath, command.args, {cwd: workDir, env});
	if (result.code !== 0) {
		throw new Error(`${command.label} exited with ${result.code ?? result.signal}\n  node ${command.args.join(' ')}\n${result.stdout}${result.stderr}`);
	}
	return result;
}

function commandsFor(url) {
	return {
		ours: {label: 'saccos-queue status --json', args: [CLI, 'status', '--json', '--redis', url, '--prefix', PREFIX]},
		bare: {label: 'bare ioredis, 1 pipeline', args: [BARE, url, PREFIX]},
		scan: {label: 'control: SCAN dashboard', args: [SCAN, url, PREFIX]},
	};
}

/** Both commands must report the same counts (and, after the fill, the expected ones). */
async function checkSameCounts(commands, expectedCompleted) {
	const ours = JSON.parse((await runChecked(commands.ours)).stdout);
	const bare = JSON.parse((await runChecked(commands.bare)).stdout);
	const names = ours.queues.map(queue => queue.name);
	if (names.join() !== SEED_QUEUES.join()) throw new Error(`status --json listed queues ${names.join(', ')}, expected ${SEED_QUEUES.join(', ')}`);
	for (const queue of ours.queues) {
		const theirs = bare[queue.name];
		for (const state of STATES) {
			if (queue.counts[state] !== theirs.counts[state]) {
				throw new Error(`count mismatch for ${queue.name}/${state}: status says ${queue.counts[state]}, bare says ${theirs.counts[state]}`);
			}
		}
		if (queue.paused !== theirs.paused) throw new Error(`paused mismatch for ${queue.name}`);
		if (queue.counts.completed !== expectedCompleted[queue.name]) {
			throw new Error(`${queue.name}: ${queue.counts.completed} completed jobs, expected ${expectedCompleted[queue.name]}`);
		}
	}
	return ours.queues.reduce((sum, queue) => sum + queue.counts.completed, 0);
}

/**
 * WARMUP + RUNS cold runs of each command, alternating which goes first run by
 * run (ours,bare / bare,ours / …) so machine noise hits both alike.
 */
async function timeAlternating(list, runs, warmup, progressLabel) {
	const samples = list.map(() => []);
	const total = warmup + runs;
	for (let index = 0; index < total; index++) {
		const order = list.map((_, position) => position);
		if (index % 2 === 1) order.reverse();
		for (const position of order) {
			const {ms} = await runChecked(list[position]);
			if (index >= warmup) samples[position].push(ms);
		}
		if (process.stderr.isTTY) process.stderr.write(`\r  ${progressLabel}: run ${index + 1}/${total}${index < warmup ? ' (warm-up)' : '          '}`);
	}
	process.stderr.write(`${process.stderr.isTTY ? '\r' : ''}  ${progressLabel}: ${warmup} warm-up + ${runs} timed runs done\n`);
	return samples;
}

// ---------------------------------------------------------------------------
// Statistics

const stats = samples => summarize(samples, [0.9], {mean: true});

// ---------------------------------------------------------------------------
// Redis commands issued by one run (INFO commandstats before/after)

async function countCommands(client, calibration, command) {
	const delta = await commandDelta(client, calibration, () => runChecked(command));
	const byCommand = Object.fromEntries(delta);
	return {total: [...delta.values()].reduce((a, b) => a + b, 0), detail: breakdown(byCommand), byCommand};
}

// ---------------------------------------------------------------------------
// Keyspace fill: BullMQ's layout for completed jobs, pipelined raw commands

async function fill(client, jobs, unrelated, batch) {
	const started = performance.now();
	const perQueue = Object.fromEntries(SEED_QUEUES.map(queue => [queue, 0]));
	const now = Date.now();
	for (let start = 0; start < jobs; start += batch) {
		const pipeline = client.pipeline();
		const members = Object.fromEntries(SEED_QUEUES.map(queue => [queue, []]));
		for (let index = start; index < Math.min(jobs, start + batch); index++) {
			const queue = SEED_QUEUES[index % SEED_QUEUES.length];
			const id = String(++perQueue[queue]);
			const timestamp = now - (jobs - index) * 10;
			const finishedOn = timestamp + 40;
			pipeline.hset(`${PREFIX}:${queue}:${id}`,
				'name', 'send-notification',
				'data', JSON.stringify({memberId: index, channel: 'sms', template: 'loan-approved'}),
				'timestamp', String(timestamp),
				'finishedOn', String(finishedOn));
			members[queue].push(String(finishedOn), id);
		}
		for (const queue of SEED_QUEUES) {
			if (members[queue].length > 0) pipeline.zadd(`${PREFIX}:${queue}:completed`, ...members[queue]);
		}
		for (const [error] of await pipeline.exec()) if (error) throw error;
	}
	// What BullMQ itself keeps per queue: the id counter and the meta hash.
	const meta = client.pipeline();
	for (const queue of SEED_QUEUES) {
		meta.set(`${PREFIX}:${queue}:id`, String(perQueue[queue]));
		meta.hset(`${PREFIX}:${queue}:meta`, 'opts.maxLenEvents', '10000', 'version', 'bullmq:6.7.0');
	}
	for (const [error] of await meta.exec()) if (error) throw error;
	for (let start = 0; start < unrelated; start += batch) {
		const pipeline = client.pipeline();
		for (let index = start; index < Math.min(unrelated, start + batch); index++) {
			if (index % 2 === 0) pipeline.set(`cache:member:${index}`, JSON.stringify({id: index, balance: index * 7}));
			else pipeline.hset(`session:${index}`, 'user', String(index), 'expires', String(now + 3_600_000));
		}
		for (const [error] of await pipeline.exec()) if (error) throw error;
	}
	return {perQueue, seconds: (performance.now() - started) / 1000, keys: await client.dbsize()};
}

/** Makes EXTRA_QUEUES exist the way BullMQ does (a meta hash), for the 8-queue command counts. */
async function createExtraQueues(client) {
	const pipeline = client.pipeline();
	for (const queue of EXTRA_QUEUES) pipeline.hset(`${PREFIX}:${queue}:meta`, 'opts.maxLenEvents', '10000', 'version', 'bullmq:6.7.0');
	for (const [error] of await pipeline.exec()) if (error) throw error;
}

async function removeExtraQueues(client) {
	await client.del(...EXTRA_QUEUES.map(queue => `${PREFIX}:${queue}:meta`));
}

function eightQueueCommands(url, configFile) {
	const eight = [...SEED_QUEUES, ...EXTRA_QUEUES];
	return {
		config: {label: 'status --json --config (8 queues)', args: [CLI, 'status', '--json', '--redis', url, '--prefix', PREFIX, '--config', configFile]},
		queueFlag: {label: 'status --json --queue (8 names)', args: [CLI, 'status', '--json', '--redis', url, '--prefix', PREFIX, '--queue', eight.join(',')]},
		bare: {label: 'bare ioredis (8 queues)', args: [BARE, url, PREFIX, eight.join(',')]},
	};
}

// ---------------------------------------------------------------------------

async function main() {
	const benchStarted = performance.now();
	if (missingBuild('cold-status')) return 2;
	const stale = staleBuild();

	// Two private servers with the same flags, one left empty and one filled, so
	// that the empty/filled comparison is interleaved run by run like ours/bare
	// (machine noise and drift over the minute hit all four series alike).
	const empty = {key: 'empty', title: 'empty', server: await startRedis()};
	const filled = {key: 'filled', title: `${Math.round(JOBS / 1000)}k jobs`, server: await startRedis()};
	const phases = [empty, filled];
	const configFile = path.join(workDir, 'eight-queues.json');
	writeFileSync(configFile, `${JSON.stringify({queues: Object.fromEntries([...SEED_QUEUES, ...EXTRA_QUEUES].map(queue => [queue, {}]))}, null, 2)}\n`);
	for (const phase of phases) {
		phase.commands = commandsFor(phase.server.url);
		phase.eight = eightQueueCommands(phase.server.url, configFile);
		for (const command of [...Object.values(phase.commands), ...Object.values(phase.eight)]) command.label = `${command.label} @${phase.title}`;
	}

	const cpus = os.cpus();
	console.log('cold `saccos-queue status --json` vs bare ioredis — bench/cold-status.js');
	console.log(machineLine(empty.server.version));
	console.log(`commit ${gitDescribe()} | ${RUNS} timed runs + ${WARMUP} warm-up per series, order alternated run by run | private redis-servers: empty ${empty.server.url}, filled ${filled.server.url}`);
	if (stale) console.log('WARNING: a file in source/ is newer than dist/: the CLI measured is the last build (run `npm run build`).');
	console.log('');

	process.stderr.write(`  filling ${filled.server.url}: ${JOBS} completed jobs over ${SEED_QUEUES.length} queues + ${UNRELATED} unrelated keys, batches of ${BATCH}…\n`);
	const fillResult = await fill(filled.server.client, JOBS, UNRELATED, BATCH);
	filled.fill = {seconds: fillResult.seconds, keys: fillResult.keys, memory: await usedMemory(filled.server.client)};
	process.stderr.write(`  filled in ${fillResult.seconds.toFixed(1)} s: DBSIZE ${fillResult.keys}, used_memory ${filled.fill.memory}\n`);
	empty.completed = await checkSameCounts(empty.commands, Object.fromEntries(SEED_QUEUES.map(queue => [queue, 0])));
	filled.completed = await checkSameCounts(filled.commands, fillResult.perQueue);

	// ---- wall time ----------------------------------------------------------
	const series = [empty.commands.ours, empty.commands.bare, filled.commands.ours, filled.commands.bare];
	const samples = await timeAlternating(series, RUNS, WARMUP, 'ours/bare × empty/filled');
	[empty.ours, empty.bare, filled.ours, filled.bare] = samples.map(stats);
	const paired = (a, b) => stats(a.map((value, index) => value / b[index])).median;
	empty.ratio = empty.ours.median / empty.bare.median;
	filled.ratio = filled.ours.median / filled.bare.median;
	empty.pairedRatio = paired(samples[0], samples[1]);
	filled.pairedRatio = paired(samples[2], samples[3]);
	const growth = filled.ours.median / empty.ours.median;
	const bareGrowth = filled.bare.median / empty.bare.median;
	const pairedGrowth = paired(samples[2], samples[0]);
	let scanGrowth;
	if (CONTROL_RUNS > 0) {
		const control = await timeAlternating([empty.commands.scan, filled.commands.scan], CONTROL_RUNS, 1, 'control: SCAN dashboard × empty/filled');
		[empty.scan, filled.scan] = control.map(stats);
		scanGrowth = filled.scan.median / empty.scan.median;
	}

	// ---- Redis commands per run ---------------------------------------------
	for (const phase of phases) {
		const {client} = phase.server;
		const calibration = await calibrate(client);
		phase.count = {
			ours4: await countCommands(client, calibration, phase.commands.ours),
			bare4: await countCommands(client, calibration, phase.commands.bare),
		};
		await createExtraQueues(client);
		phase.count.ours8config = await countCommands(client, calibration, phase.eight.config);
		phase.count.ours8flag = await countCommands(client, calibration, phase.eight.queueFlag);
		phase.count.bare8 = await countCommands(client, calibration, phase.eight.bare);
		await removeExtraQueues(client);
		if (CONTROL_RUNS > 0) phase.count.scan = await countCommands(client, calibration, phase.commands.scan);
	}
	for (const phase of phases) await stopRedis(phase.server);

	// ---- report -------------------------------------------------------------
	console.log('Wall time of one cold process (spawn → exit), ms');
	const rows = [];
	const row = (phase, label, s, ratio) => [phase.title, label, s.n, fmt(s.median), fmt(s.p90), fmt(s.min), fmt(s.max), ratio];
	for (const phase of phases) {
		rows.push(row(phase, 'saccos-queue status --json', phase.ours, `${phase.ratio.toFixed(2)}×`));
		rows.push(row(phase, 'bare ioredis, 1 pipeline', phase.bare, '1.00×'));
	}
	if (empty.scan) {
		for (const phase of phases) rows.push(row(phase, 'control: SCAN dashboard', phase.scan, `${(phase.scan.median / phase.bare.median).toFixed(2)}×`));
	}
	console.log(table(['keyspace', 'command', 'runs', 'median', 'p90', 'min', 'max', 'median/bare'], rows, new Set([2, 3, 4, 5, 6, 7])));
	console.log(`(filled server: DBSIZE ${filled.fill.keys}, used_memory ${filled.fill.memory}, filled in ${filled.fill.seconds.toFixed(1)} s; ours and bare report the same counts: ${filled.completed} completed jobs)`);

	console.log('');
	console.log('Redis commands issued by one run (INFO commandstats delta, the measuring INFO removed)');
	const describe = {
		ours4: 'status --json (4 seed queues)',
		bare4: 'bare ioredis (4 seed queues)',
		ours8config: 'status --json --config (8 queues)',
		ours8flag: 'status --json --queue (8 names)',
		bare8: 'bare ioredis (8 queues)',
		scan: 'control: SCAN dashboard',
	};
	const commandRows = Object.keys(describe).filter(key => empty.count[key]).map(key => [describe[key], empty.count[key].total, filled.count[key].total, filled.count[key].detail]);
	console.log(table(['command', 'empty', filled.title, `breakdown (${filled.title})`], commandRows, new Set([1, 2])));

	// ---- claims -------------------------------------------------------------
	const sameCommands = ['ours4', 'ours8config', 'ours8flag'].every(key => empty.count[key].total === filled.count[key].total);
	const perExtraQueue = (filled.count.ours8config.total - filled.count.ours4.total) / EXTRA_QUEUES.length;
	const fixed = filled.count.ours4.total - SEED_QUEUES.length * perExtraQueue;
	const claim1 = empty.ratio <= LIMIT && filled.ratio <= LIMIT;
	const claim2 = growth <= GROWTH_LIMIT && sameCommands;
	console.log('');
	console.log(`CLAIM 1 ${verdict(claim1)}: cold status --json ≤ ${LIMIT}× bare ioredis: median ${fmt(empty.ours.median)} vs ${fmt(empty.bare.median)} ms = ${empty.ratio.toFixed(2)}× (empty), ${fmt(filled.ours.median)} vs ${fmt(filled.bare.median)} ms = ${filled.ratio.toFixed(2)}× (${filled.title}); paired per-run ratio ${empty.pairedRatio.toFixed(2)}× / ${filled.pairedRatio.toFixed(2)}×`);
	console.log(`CLAIM 2 ${verdict(claim2)}: cost independent of the number of jobs: ours(${filled.title})/ours(empty) = ${growth.toFixed(2)}× (limit ${GROWTH_LIMIT}; paired ${pairedGrowth.toFixed(2)}×; bare ${bareGrowth.toFixed(2)}×); Redis commands ${empty.count.ours4.total} → ${filled.count.ours4.total}${sameCommands ? ' (same)' : ' (DIFFERENT)'}, 4 → 8 queues: ${filled.count.ours4.total} → ${filled.count.ours8config.total} (${perExtraQueue} per queue + ${fixed} fixed)`);
	if (scanGrowth !== undefined) {
		console.log(`CONTROL: SCAN dashboard ${filled.title}/empty = ${scanGrowth.toFixed(2)}× (${fmt(empty.scan.median)} → ${fmt(filled.scan.median)} ms, ${empty.count.scan.total} → ${filled.count.scan.total} commands): the fill does expose a keyspace-dependent design`);
	}
	const seconds = (performance.now() - benchStarted) / 1000;
	console.log(`(bench took ${seconds.toFixed(0)} s)`);

	if (options.out) {
		const strip = phase => ({title: phase.title, ours: phase.ours, bare: phase.bare, scan: phase.scan, ratio: phase.ratio, pairedRatio: phase.pairedRatio, commands: phase.count, fill: phase.fill});
		writeFileSync(options.out, `${JSON.stringify({
			date: new Date().toISOString(), node: process.version, redis: empty.server.version, cpus: cpus.length, runs: RUNS, warmup: WARMUP, jobs: JOBS, unrelated: UNRELATED,
			empty: strip(empty), filled: strip(filled),
			claims: {limit: LIMIT, claim1, growth, pairedGrowth, bareGrowth, growthLimit: GROWTH_LIMIT, sameCommands, claim2, scanGrowth},
		}, null, 2)}\n`);
	}
	return claim1 && claim2 ? 0 : 1;
}

await runMain('cold-status', main);
