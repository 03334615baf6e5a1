#!/usr/bin/env node
// @bench (bench/run.js runs every bench/*.js file carrying this marker)
/**
 * `saccos-queue worker` versus a bare BullMQ Worker on the same no-op jobs.
 *
 * Claim checked (issue 4): throughput with the registry heartbeat, the
 * control channel and JSON logging on is at least 0.95 of a bare BullMQ
 * Worker's on the same no-op jobs, at the same concurrency.
 *
 * For information: what isolation costs (our "thread" and "process" modes,
 * relative to our in-process mode), next to BullMQ's own sandboxed processors
 * (worker threads / child processes) relative to bare in-process.
 *
 * Each measurement: a fresh key prefix on a private redis-server, N jobs added
 * first (addBulk), then the worker process is started and left to drain them.
 * Throughput = (N − 1) / (last finishedOn − first finishedOn), from BullMQ's own
 * `completed` sorted set (scores are finish times), so process start-up is
 * left out alike for both; the wall time from spawn to the last job is shown
 * too. Rounds alternate the order (bare, ours / ours, bare); medians are
 * compared. 40,000 jobs make a span of 2–3 s: on this shared 2-core VM a
 * 1 s span (20,000 jobs) swung ±10% from run to run with JIT warm-up and
 * scheduler hiccups, for both sides alike. The worker's own CPU time per job
 * (steady state, from /proc) is printed beside each figure: it shows cost
 * without the noise of who else had the CPU.
 *
 * It starts its own redis-server (127.0.0.1, free port, never 6379, no
 * persistence, temp dir) and stops it at the end, also on errors and Ctrl-C.
 * The CLI is the built one: run `npm run build` first. Exit 0 when the claim
 * holds, 1 when it fails, 2 on a usage/setup error.
 *
 *   node bench/worker-throughput.js [--jobs 40000] [--concurrency 50] [--rounds 5]
 *        [--isolation-jobs 5000] [--sandbox-jobs 5000] [--no-isolation] [--limit 0.95]
 *        [--profile DIR] [--out FILE] [--cli PATH]
 *
 * --profile DIR: also run bare and ours once each under `node --cpu-prof` and
 * print where their main threads spend their time (self time by function and
 * by package), side by side.
 * --cli PATH: measure another build of bin/saccos-queue.js (e.g. a patched
 * copy of dist/ in a temp dir, for A/B experiments).
 *
 * Internal: `--child bare --url U --prefix P --queue Q --concurrency C
 * --mode inline|process|thread --processor FILE` runs the bare BullMQ worker.
 */
import {spawn} from 'node:child_process';
import {readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {setTimeout as sleep} from 'node:timers/promises';
import {Redis} from 'ioredis';
import {HOST, live, cleanupNow, installCleanup, tempDir, startRedis, stopRedis} from './lib/private-redis.js';
import {parseOptions, childEnv, median} from './lib/common.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const SELF = fileURLToPath(import.meta.url);
const DEFAULT_CLI = path.join(root, 'bin', 'saccos-queue.js');
const NOOP = path.join(root, 'test', 'helpers', 'processors', 'noop.js');
const QUEUE = 'bench';

// ---------------------------------------------------------------------------
// Options. Only main() checks the numbers and installs the cleanup of
// redis-server, children and temp dirs on every exit path (not child mode);
// --help is handled at the end, outside child mode.

const {values: options, intOption, positiveOption} = parseOptions('worker-throughput', {
	jobs: '40000',
	concurrency: '50',
	rounds: '5',
	'isolation-jobs': '5000',
	'sandbox-jobs': '5000',
	'no-isolation': false,
	limit: '0.95',
	profile: undefined,
	out: undefined,
	cli: undefined,
	// internal (child mode)
	child: undefined,
	url: undefined,
	prefix: undefined,
	queue: undefined,
	mode: undefined,
	processor: undefined,
});

// ---------------------------------------------------------------------------
// The bare BullMQ worker (child mode): a Worker with a no-op processor, as an
// application would write it; closes on SIGTERM.

async function bareChild() {
	const {Worker} = await import('bullmq');
	const connection = new Redis(options.url, {maxRetriesPerRequest: null});
	const concurrency = Number(options.concurrency);
	const processor = options.mode === 'inline' ? async () => null : options.processor;
	const worker = new Worker(options.queue, processor, {
		connection,
		prefix: options.prefix,
		concurrency,
		...(options.mode === 'thread' ? {useWorkerThreads: true} : {}),
	});
	worker.on('error', error => process.stderr.write(`bare worker error: ${error.message}\n`));
	await worker.waitUntilReady();
	process.stdout.write('ready\n');
	process.once('SIGTERM', async () => {
		await worker.close();
		connection.disconnect();
		process.exit(0);
	});
}

// ---------------------------------------------------------------------------
// One measurement

const env = childEnv();

let run = 0;

async function fill(server, prefix, count) {
	const {Queue} = await import('bullmq');
	const connection = new Redis(server.url, {maxRetriesPerRequest: null});
	const queue = new Queue(QUEUE, {connection, prefix});
	for (let start = 0; start < count; start += 1000) {
		const size = Math.min(1000, count - start);
		await queue.addBulk(Array.from({length: size}, (_, index) => ({name: 'noop', data: {n: start + index}})));
	}
	await queue.close();
	connection.disconnect();
}

/**
 * Starts a worker process over `count` waiting jobs and waits until BullMQ
 * counts them all completed; returns jobs/s from the completed set's scores.
 */
async function measure(server, kind, variant, count, workDir, extraNodeArgs = []) {
	const prefix = `bench${++run}`;
	await fill(server, prefix, count);
	const completedKey = `${prefix}:${QUEUE}:completed`;
	let args;
	if (kind === 'bare') {
		args = [...extraNodeArgs, SELF, '--child', 'bare', '--url', server.url, '--prefix', prefix, '--queue', QUEUE, '--concurrency', String(CONCURRENCY), '--mode', variant, '--processor', NOOP];
	} else {
		const config = path.join(workDir, `config-${variant}.json`);
		writeFileSync(config, JSON.stringify({queues: {[QUEUE]: {timeout: 90, isolation: variant}}, processors: {noop: NOOP}}));
		args = [...extraNodeArgs, options.cli ? path.resolve(options.cli) : DEFAULT_CLI, 'worker', '--config', config, '--redis', server.url, '--prefix', prefix, '--queue', QUEUE, '--concurrency', String(CONCURRENCY)];
	}
	const started = performance.now();
	const child = spawn(process.execPath, args, {cwd: workDir, env, stdio: ['ignore', 'pipe', 'pipe']});
	live.children.add(child);
	let logLines = 0;
	let stderr = '';
	// Counted natively (indexOf): the bench shares the CPUs with the worker under test.
	child.stdout.on('data', chunk => {
		for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) logLines++;
	});
	child.stderr.on('data', chunk => {
		stderr = `${stderr}${chunk}`.slice(-4000);
	});
	const exited = new Promise(resolve => child.once('close', (code, signal) => resolve({code, signal})));
	let done = 0;
	// The worker's own CPU time (user + system) between the first and the last
	// poll that saw it mid-run: its cost per job in steady state, start-up left out.
	let firstSample;
	let lastSample;
	const deadline = Date.now() + Math.max(120_000, count * 50);
	while (done < count) {
		if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${kind}/${variant} exited early (${child.exitCode ?? child.signalCode})\n${stderr}`);
		if (Date.now() > deadline) throw new Error(`${kind}/${variant}: only ${done}/${count} jobs completed in time\n${stderr}`);
		await sleep(100);
		const cpu = cpuMs(child.pid);
		done = await server.client.zcard(completedKey);
		if (done > 0 && done < count && cpu !== undefined) {
			firstSample ??= {done, cpu};
			lastSample = {done, cpu};
		}
	}
	const cpuMicrosPerJob = firstSample && lastSample && lastSample.done > firstSample.done ? ((lastSample.cpu - firstSample.cpu) * 1000) / (lastSample.done - firstSample.done) : undefined;
	const wallMs = performance.now() - started;
	const firstFinish = Number((await server.client.zrange(completedKey, 0, 0, 'WITHSCORES'))[1]);
	const lastFinish = Number((await server.client.zrange(completedKey, -1, -1, 'WITHSCORES'))[1]);
	const failed = await server.client.zcard(`${prefix}:${QUEUE}:failed`);
	child.kill('SIGTERM');
	const exit = await Promise.race([exited, sleep(15_000).then(() => ({code: 'timeout'}))]);
	if (exit.code === 'timeout') child.kill('SIGKILL');
	live.children.delete(child);
	await server.client.flushdb();
	const spanMs = Math.max(1, lastFinish - firstFinish);
	return {kind, variant, jobs: count, failed, jobsPerSecond: ((count - 1) * 1000) / spanMs, spanMs, wallMs, cpuMicrosPerJob, logLines, exit: exit.code ?? exit.signal};
}

const TICKS_PER_SECOND = 100;

/** CPU time (user + system, all threads) a process has used so far, in ms (Linux /proc). */
function cpuMs(pid) {
	try {
		const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
		return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
	} catch {
		return undefined;
	}
}

// ---------------------------------------------------------------------------
// Profile: ours under --cpu-prof, self time by function and by package.

function summarizeProfile(file) {
	const profile = JSON.parse(readFileSync(file, 'utf8'));
	const byId = new Map(profile.nodes.map(node => [node.id, node]));
	const self = new Map();
	const intervals = profile.timeDeltas;
	profile.samples.forEach((id, index) => {
		self.set(id, (self.get(id) ?? 0) + (intervals[index] ?? 0));
	});
	const total = [...self.values()].reduce((sum, value) => sum + value, 0);
	const byFunction = new Map();
	const byArea = new Map();
	for (const [id, micros] of self) {
		const node = byId.get(id);
		const {functionName, url, lineNumber} = node.callFrame;
		const where = url.replace(/^file:\/\//, '').replace(`${root}/`, '');
		const key = `${functionName || '(anonymous)'} ${where ? `${where}:${lineNumber + 1}` : ''}`.trim();
		byFunction.set(key, (byFunction.get(key) ?? 0) + micros);
		let area;
		if (!url) area = functionName.startsWith('(') ? functionName : '(native/vm)';
		else if (url.startsWith('node:')) area = `node:${url.slice(5).split('/')[0]}`;
		else if (where.includes('node_modules/')) area = where.replace(/^.*node_modules\/((?:@[^/]+\/)?[^/]+).*$/, '$1');
		else area = where.split('/').slice(0, 2).join('/');
		byArea.set(area, (byArea.get(area) ?? 0) + micros);
	}
	const top = (map, count) => [...map].sort((a, b) => b[1] - a[1]).slice(0, count).map(([name, micros]) => `  ${(100 * micros / total).toFixed(1).padStart(5)}%  ${(micros / 1000).toFixed(0).padStart(6)} ms  ${name}`);
	return {totalMs: total / 1000, areas: top(byArea, 14), functions: top(byFunction, 25)};
}

// ---------------------------------------------------------------------------

let CONCURRENCY;

async function main() {
	const JOBS = intOption('jobs', 100);
	CONCURRENCY = intOption('concurrency', 1);
	const ROUNDS = intOption('rounds', 1);
	const ISOLATION_JOBS = intOption('isolation-jobs', 10);
	const SANDBOX_JOBS = intOption('sandbox-jobs', 10);
	const LIMIT = positiveOption('limit');
	installCleanup('worker-throughput');

	let server;
	try {
		server = await startRedis();
	} catch (error) {
		process.stderr.write(`worker-throughput: ${error.message}\n`);
		process.exit(2);
	}
	const workDir = tempDir('cwd');
	const results = [];
	const show = result => process.stdout.write(`  ${result.kind.padEnd(4)} ${result.variant.padEnd(7)} ${String(result.jobs).padStart(6)} jobs  ${result.jobsPerSecond.toFixed(0).padStart(6)} jobs/s  (span ${(result.spanMs / 1000).toFixed(2)} s, wall ${(result.wallMs / 1000).toFixed(2)} s${result.cpuMicrosPerJob === undefined ? '' : `, cpu ${result.cpuMicrosPerJob.toFixed(0)} µs/job`}${result.failed ? `, ${result.failed} FAILED` : ''}${result.kind === 'ours' ? `, ${result.logLines} log lines` : ''})\n`);
	try {
		process.stdout.write(`worker throughput: ${JOBS} no-op jobs, concurrency ${CONCURRENCY}, ${ROUNDS} round(s); redis-server ${server.version} on ${HOST}:${server.port}; node ${process.version}; ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}\n`);
		// Warm-up (disk cache, JIT of the driver): a small run of each, not counted.
		await measure(server, 'bare', 'inline', 2000, workDir);
		await measure(server, 'ours', 'none', 2000, workDir);
		for (let round = 0; round < ROUNDS; round++) {
			const order = round % 2 === 0 ? ['bare', 'ours'] : ['ours', 'bare'];
			for (const kind of order) {
				const result = await measure(server, kind, kind === 'bare' ? 'inline' : 'none', JOBS, workDir);  
				results.push(result);
				show(result);
			}
		}
		const isolation = [];
		if (!options['no-isolation']) {
			// Both keep a pool of 50 runners whose start-up (~1–2 s on 2 cores) is in the
			// span: 5,000 jobs each, so it weighs alike.
			process.stdout.write(`isolation (information): ours ${ISOLATION_JOBS} jobs, BullMQ's sandbox ${SANDBOX_JOBS} jobs\n`);
			for (const [kind, variant, count] of [['ours', 'thread', ISOLATION_JOBS], ['ours', 'process', ISOLATION_JOBS], ['bare', 'thread', SANDBOX_JOBS], ['bare', 'process', SANDBOX_JOBS]]) {
				const result = await measure(server, kind, variant, count, workDir);  
				isolation.push(result);
				show(result);
			}
		}
		const profiles = [];
		if (options.profile) {
			for (const [kind, variant] of [['bare', 'inline'], ['ours', 'none']]) {
				const dir = path.resolve(options.profile, kind);
				process.stdout.write(`profiling ${kind} (node --cpu-prof, ${JOBS} jobs) into ${dir}\n`);
				const result = await measure(server, kind, variant, JOBS, workDir, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);  
				show(result);
				// The main thread's profile is the biggest (the watchdog thread writes its own, mostly idle).
				const file = readdirSync(dir).filter(name => name.endsWith('.cpuprofile')).map(name => path.join(dir, name)).sort((a, b) => statSync(b).size - statSync(a).size)[0];
				if (file) profiles.push({kind, ...summarizeProfile(file)});
			}
		}

		const bare = median(results.filter(result => result.kind === 'bare').map(result => result.jobsPerSecond));
		const ours = median(results.filter(result => result.kind === 'ours').map(result => result.jobsPerSecond));
		const ratio = ours / bare;
		const failedJobs = results.reduce((sum, result) => sum + result.failed, 0);
		process.stdout.write('\nsummary (medians)\n');
		process.stdout.write(`  bare BullMQ Worker         ${bare.toFixed(0).padStart(6)} jobs/s\n`);
		process.stdout.write(`  saccos-queue worker        ${ours.toFixed(0).padStart(6)} jobs/s\n`);
		if (isolation.length > 0) {
			const rate = (kind, variant) => isolation.find(result => result.kind === kind && result.variant === variant).jobsPerSecond;
			process.stdout.write(`  isolation, relative to the medians above: ours thread ${(rate('ours', 'thread') / ours).toFixed(3)}×, process ${(rate('ours', 'process') / ours).toFixed(3)}× of ours in-process; `
				+ `BullMQ sandbox thread ${(rate('bare', 'thread') / bare).toFixed(3)}×, process ${(rate('bare', 'process') / bare).toFixed(3)}× of bare in-process\n`);
		}
		for (const profile of profiles) {
			process.stdout.write(`\nprofile of ${profile.kind} (main thread, ${profile.totalMs.toFixed(0)} ms sampled), self time by area:\n${profile.areas.join('\n')}\nby function:\n${profile.functions.join('\n')}\n`);
		}
		const pass = ratio >= LIMIT && failedJobs === 0;
		process.stdout.write(`\nCLAIM ${pass ? 'PASS' : 'FAIL'}: ours/bare = ${ratio.toFixed(3)} (limit ≥ ${LIMIT})${failedJobs ? `; ${failedJobs} jobs FAILED` : ''}\n`);
		if (options.out) writeFileSync(options.out, JSON.stringify({date: new Date().toISOString(), jobs: JOBS, concurrency: CONCURRENCY, bare, ours, ratio, pass, results, isolation, profiles}, null, 2));
		await stopRedis(server);
		process.exitCode = pass ? 0 : 1;
	} catch (error) {
		process.stderr.write(`worker-throughput: ${error.stack ?? error.message}\n`);
		cleanupNow();
		process.exit(2);
	}
}

// ---------------------------------------------------------------------------

if (options.child === 'bare') {
	await bareChild();
} else {
	if (options.help) {
		process.stdout.write('usage: node bench/worker-throughput.js [--jobs 40000] [--concurrency 50] [--rounds 5] [--isolation-jobs 5000] [--sandbox-jobs 5000]\n'
			+ '                                       [--no-isolation] [--limit 0.95] [--profile DIR] [--out FILE] [--cli PATH]\n');
		process.exit(0);
	}
	await main();
}
