#!/usr/bin/env node
// @bench (bench/run.js runs every bench/*.js file carrying this marker)
/**
 * What the console costs a terminal and a CPU (the console issue, item 8, "Light over SSH"):
 * the built binary in a real terminal (tmux, 200×50), every byte it writes captured with
 * `tmux pipe-pane`, on a private redis-server, `--refresh 1s`.
 *
 * Measured per console process, after the first frame and `--warmup` refreshes:
 *   (a) a window of `--window` refreshes where nothing changes but the clock;
 *   (b) a window of `--window` refreshes where the bench adds one job to the first queue
 *       (BullMQ Queue.add) right after each refresh reaches the terminal. Two lead-in
 *       refreshes come first: the first job takes the queue from nothing waiting to waiting,
 *       its STATE and LATENCY cells change width and the whole table is laid out again once;
 *       that refresh's bytes are reported on their own ("1st job: re-layout"), not in (b).
 * A refresh is a new "updated HH:MM:SS" in the byte stream; bytes per refresh = the bytes
 * between the first and the last refresh of a window / the refreshes between them; CPU per
 * refresh = the delta of utime + stime (/proc/<pid>/stat, all threads) of the console process
 * over the same refreshes (read as each refresh arrives); RSS = VmRSS (/proc/<pid>/status)
 * read at every refresh of both windows (median, max) and VmHWM at the end. For information,
 * the CPU of the tmux server (the terminal parsing what it is sent) over the same windows.
 *
 * Side by side, at 50 and at 500 queues (a config file listing them; each queue a real
 * BullMQ queue holding one job delayed by a day, so no count or wait moves by itself):
 *   now       this worktree's build (bin/saccos-queue.js → dist/): the frame diff
 *             (source/tui/frame-diff.ts) writes only the changed lines, each at its row;
 *   before    the commit before the frame diff came (the parent of the commit that added
 *             source/tui/frame-diff.ts), built by the bench from `git archive` in a temp dir
 *             (or `--before DIR`, a built checkout): Ink's own incrementalRendering;
 *   diff-off  (information) a copy of this build's dist/ in a temp dir whose terminal.js
 *             skips the frame differ: Ink's standard mode, the whole frame every refresh.
 *   rows-off  (information) a copy of this build's dist/ whose open.js does not install the
 *             row-cached Output.get() (source/tui/ink-output.ts): Ink composes the whole frame
 *             every render, as before it.
 *   opt-on    (information) this build's dist/, node started with --turbofan (V8's default),
 *             a flag source/tui/console-tier.ts takes as the operator's choice: it then leaves
 *             the optimizing compiler on from the start.
 *   heap-off  (information) this build's dist/, node started with --max-semi-space-size=16 (V8's
 *             own maximum here), a flag source/tui/console-heap.ts takes as the operator's
 *             choice: it then sets nothing, and V8's heap grows as it does by default.
 * The order of the builds is reversed at 500 queues.
 *
 * Claims (exit 1 when one fails):
 *   1. now, (a): at most `--bytes-limit` (400) bytes per refresh, at 50 and at 500 queues;
 *   2. now, 50 queues: CPU per refresh at most `--cpu-ratio` (0.5) of the before build's, in
 *      (a) and in (b);
 *   3. now, 50 queues: RSS (median of the samples) at most `--rss-limit` (110) MiB.
 *
 * Cleans up its tmux servers (own -L sockets), redis-server, consoles and temp dirs on every
 * exit path. Run `npm run build` first. Exit 0 when every claim holds, 1 when one fails, 2 on a
 * usage/setup error.
 *
 *   node bench/console-terminal.js [--queues 50,500] [--window 20] [--warmup 12]
 *        [--before DIR] [--before-commit REF] [--no-diff-off] [--no-rows-off] [--no-heap-off] [--no-opt-on]
 *        [--bytes-limit 400] [--cpu-ratio 0.5] [--rss-limit 110] [--out FILE]
 */
import {execFileSync} from 'node:child_process';
import {cpSync, existsSync, openSync, readFileSync, readSync, closeSync, rmSync, statSync, symlinkSync, writeFileSync, realpathSync} from 'node:fs';
import path from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {fileURLToPath} from 'node:url';
import {
	parseOptions, childEnv, summarize, fmt, note, verdict, table, machineLine, gitDescribe, missingBuild, staleBuild, runMain,
} from './lib/common.js';
import {installCleanup, startRedis, stopRedis, tempDir} from './lib/private-redis.js';

const BENCH = 'console-terminal';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PREFIX = 'bull';
const COLUMNS = 200;
const ROWS = 50;
const REFRESH = '1s';
/** In dist/tui/terminal.js since the frame diff; the diff-off copy replaces it. */
const DIFF_LINE = 'const differ = options.alternateScreen ? createFrameDiffer() : undefined;';
/** In dist/tui/open.js since the row-cached Output; the rows-off copy removes it. */
const ROWS_LINE = 'await installRowCachedOutput();';

const {values: options, intOption, numberOption, positiveOption} = parseOptions(BENCH, {
	queues: '50,500',
	window: '20',
	warmup: '12',
	before: undefined,
	'before-commit': undefined,
	'no-diff-off': false,
	'no-rows-off': false,
	'no-heap-off': false,
	'no-opt-on': false,
	'bytes-limit': '400',
	'cpu-ratio': '0.5',
	'rss-limit': '110',
	out: undefined,
}, 'usage: node bench/console-terminal.js [--queues 50,500] [--window 20] [--warmup 12]\n'
	+ '         [--before DIR] [--before-commit REF] [--no-diff-off] [--no-rows-off] [--no-heap-off] [--no-opt-on]\n'
	+ '         [--bytes-limit 400] [--cpu-ratio 0.5] [--rss-limit 110] [--out FILE]');

const WINDOW = intOption('window', 2);
const WARMUP = intOption('warmup', 0);
const BYTES_LIMIT = positiveOption('bytes-limit');
const CPU_RATIO = positiveOption('cpu-ratio');
const RSS_LIMIT_MIB = numberOption('rss-limit', 1);
const SIZES = options.queues.split(',').map(Number);
if (SIZES.some(size => !Number.isInteger(size) || size < 2 || size > 5000) || !SIZES.includes(50)) {
	process.stderr.write(`${BENCH}: --queues must list whole numbers from 2 to 5000, 50 among them (the claims are at 50)\n`);
	process.exit(2);
}

installCleanup(BENCH);
/** Our tmux servers: -L name → socket file (or undefined before it is known). */
const tmuxSockets = new Map();
/** Kills one of our tmux servers (the consoles in it get SIGHUP) and removes its socket file, which kill-server leaves behind. */
function killTmux(socket) {
	try {
		execFileSync('tmux', ['-L', socket, 'kill-server'], {stdio: 'ignore'});
	} catch {
		// already gone
	}
	const file = tmuxSockets.get(socket);
	if (file) rmSync(file, {force: true});
	tmuxSockets.delete(socket);
}
process.on('exit', () => {
	for (const socket of [...tmuxSockets.keys()]) killTmux(socket);
});

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], {encoding: 'utf8'}).trim()) || 100;
const git = (...args) => execFileSync('git', args, {cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']}).trim();
const quote = text => `'${String(text).replaceAll("'", "'\\''")}'`;
const mib = kib => kib / 1024;

/** utime + stime of `pid` (all its threads), in ms; undefined once it is gone (or a zombie). */
function cpuMs(pid) {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
		if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
		return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
	} catch {
		return undefined;
	}
}

/** VmRSS and VmHWM of `pid` in KiB. */
function memory(pid) {
	try {
		const status = readFileSync(`/proc/${pid}/status`, 'utf8');
		return {rss: Number(status.match(/^VmRSS:\s+(\d+)/m)?.[1]), hwm: Number(status.match(/^VmHWM:\s+(\d+)/m)?.[1])};
	} catch {
		return undefined;
	}
}

// ---------------------------------------------------------------------------
// The builds

/** The parent of the commit that added source/tui/frame-diff.ts (or --before-commit). */
function beforeCommit() {
	if (options['before-commit']) return git('rev-parse', '--verify', `${options['before-commit']}^{commit}`);
	const added = git('log', '--diff-filter=A', '--format=%H', '--', 'source/tui/frame-diff.ts').split('\n').filter(Boolean).pop();
	if (!added) throw new Error('no commit adds source/tui/frame-diff.ts: pass --before-commit or --before');
	return git('rev-parse', `${added}^`);
}

const nodeModules = realpathSync(path.join(root, 'node_modules'));

/** A built tree of `commit` in a temp dir: `git archive` (no worktree registered), node_modules linked, tsc. */
function buildBefore(commit) {
	const dir = tempDir('before');
	execFileSync('sh', ['-c', `git archive ${commit} | tar -x -C ${quote(dir)}`], {cwd: root, stdio: ['ignore', 'ignore', 'pipe']});
	symlinkSync(nodeModules, path.join(dir, 'node_modules'));
	execFileSync(process.execPath, [path.join(nodeModules, 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], {cwd: dir, stdio: ['ignore', 'pipe', 'pipe']});
	return dir;
}

/** This build's dist/ copied to a temp dir `variant` with `line` of dist/`relative` replaced. */
function buildCopy(variant, relative, line, replacement) {
	const dir = tempDir(variant);
	for (const entry of ['dist', 'bin', 'package.json']) cpSync(path.join(root, entry), path.join(dir, entry), {recursive: true});
	symlinkSync(nodeModules, path.join(dir, 'node_modules'));
	const file = path.join(dir, 'dist', relative);
	const text = readFileSync(file, 'utf8');
	if (!text.includes(line)) throw new Error(`dist/${relative} no longer has the line the ${variant} copy replaces:\n  ${line}`);
	writeFileSync(file, text.replace(line, `${replacement} // bench/console-terminal.js: ${variant}`));
	return dir;
}
/** The frame differ skipped: Ink's standard mode draws whole frames. */
const buildDiffOff = () => buildCopy('diff-off', 'tui/terminal.js', DIFF_LINE, 'const differ = undefined;');
/** Ink's own Output.get(): the whole frame composed every render. */
const buildRowsOff = () => buildCopy('rows-off', 'tui/open.js', ROWS_LINE, '');

// ---------------------------------------------------------------------------
// Queues and configs

const queueName = index => `q${String(index + 1).padStart(4, '0')}`;

/** `count` real BullMQ queues, each holding one job delayed by a day (nothing moves by itself). */
async function fill(url, count) {
	const {Queue} = await import('bullmq');
	const {Redis} = await import('ioredis');
	const client = new Redis(url, {maxRetriesPerRequest: null});
	try {
		for (let index = 0; index < count; index++) {
			const queue = new Queue(queueName(index), {connection: client, prefix: PREFIX});
			await queue.add('send-statement', {memberId: 1000 + index}, {delay: 86_400_000});
			await queue.close();
		}
		return await client.dbsize();
	} finally {
		await client.quit();
	}
}

/** A temp cwd whose saccos-queue.config.json lists the first `count` queues (no schedules, no thresholds). */
function configDir(count) {
	const dir = tempDir(`cwd${count}`);
	const queues = Object.fromEntries(Array.from({length: count}, (_, index) => [queueName(index), {}]));
	writeFileSync(path.join(dir, 'saccos-queue.config.json'), `${JSON.stringify({prefix: PREFIX, queues, schedules: [], monitor: {}}, null, 1)}\n`);
	return dir;
}

// ---------------------------------------------------------------------------
// One console in tmux, measured from outside

/** Follows the capture file: each new "updated HH:MM:SS" is a refresh, with its byte offset. */
function follower(file) {
	let offset = 0;
	let tail = '';
	let last;
	return () => {
		const events = [];
		if (!existsSync(file)) return events;
		const size = statSync(file).size;
		if (size <= offset) return events;
		const buffer = Buffer.alloc(size - offset);
		const fd = openSync(file, 'r');
		try {
			readSync(fd, buffer, 0, buffer.length, offset);
		} finally {
			closeSync(fd);
		}
		// latin1: one char per byte, so string indices are byte offsets.
		const text = tail + buffer.toString('latin1');
		const base = offset - tail.length;
		for (const match of text.matchAll(/updated (\d\d:\d\d:\d\d)/g)) {
			if (match.index + match[0].length <= tail.length) continue; // seen last time
			if (match[1] !== last) {
				last = match[1];
				events.push({offset: base + match.index, clock: match[1]});
			}
		}
		offset = size;
		tail = text.slice(-40);
		return events;
	};
}

async function measureConsole({variant, dir, nodeFlags = '', size, cwd, url, queue}) {
	const socket = `saccos-bench-ct-${process.pid}-${variant}-${size}`;
	const work = tempDir(`tty-${variant}-${size}`);
	const capture = path.join(work, 'tty.bin');
	const env = childEnv();
	for (const name of ['NO_COLOR', 'FORCE_COLOR', 'TMUX', 'LC_CTYPE', 'CI']) delete env[name];
	const command = `sleep 0.5; exec env LC_ALL=C.UTF-8 LANG=C.UTF-8 SACCOS_QUEUE_STATE_DIR=${quote(path.join(work, 'state'))} ${quote(process.execPath)} ${nodeFlags} ${quote(path.join(dir, 'bin', 'saccos-queue.js'))} console --redis ${quote(url)} --refresh ${REFRESH}`;
	const tmux = (...args) => execFileSync('tmux', ['-L', socket, ...args], {env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']}).trim();
	tmuxSockets.set(socket, undefined);
	try {
		tmux('-f', '/dev/null', '-u', 'new-session', '-d', '-s', 'console', '-x', String(COLUMNS), '-y', String(ROWS), '-c', cwd, command);
		tmuxSockets.set(socket, tmux('display-message', '-p', '#{socket_path}'));
		tmux('set-option', '-t', 'console', 'remain-on-exit', 'on');
		tmux('pipe-pane', '-o', '-t', 'console', `cat >> ${quote(capture)}`);
		const pid = Number(tmux('display-message', '-p', '-t', 'console', '#{pane_pid}'));
		const tmuxPid = Number(tmux('display-message', '-p', '#{pid}'));
		const screen = () => tmux('capture-pane', '-p', '-t', 'console');
		const poll = follower(capture);
		const events = [];
		/** A refresh is due every second: ten without one is a console that stopped. */
		let deadline = Date.now() + 10_000;
		/** Resolves with the next refresh (its offset, and CPU/RSS read as it arrived). */
		const nextRefresh = async () => {
			for (;;) {
				if (events.length > 0) return events.shift();
				const found = poll();
				if (found.length > 0) {
					const cpu = cpuMs(pid);
					const tmuxCpu = cpuMs(tmuxPid);
					const mem = memory(pid);
					for (const event of found) events.push({...event, at: performance.now(), cpu, tmuxCpu, mem});
					deadline = Date.now() + 10_000;
					continue;
				}
				if (cpuMs(pid) === undefined || Date.now() > deadline) {
					throw new Error(`${variant} console (${size} queues): ${cpuMs(pid) === undefined ? 'exited' : 'no refresh in time'}; the screen:\n${screen()}`);
				}
				await sleep(10);
			}
		};

		const first = await nextRefresh();
		const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
		if (!cmdline.includes('saccos-queue.js')) throw new Error(`pane pid ${pid} is not the console: ${cmdline}`);
		let warm = first;
		for (let index = 0; index < WARMUP; index++) warm = await nextRefresh();
		/** CPU from the process's start to the end of the warm-up: loading, the first frames, V8's first collections. */
		const startup = {cpuMs: warm.cpu, refreshes: WARMUP};

		const windowOf = async (scenario, onRefresh) => {
			const start = await nextRefresh();
			await onRefresh?.();
			const samples = [start.mem.rss];
			let end = start;
			for (let index = 0; index < WINDOW; index++) {
				end = await nextRefresh();
				samples.push(end.mem.rss);
				// Everything after a refresh in the window (the poller's next tick included) is deadline-free now.
				await onRefresh?.();
			}
			const refreshes = WINDOW;
			return {
				scenario, refreshes, startOffset: start.offset, startCpu: start.cpu,
				bytes: end.offset - start.offset,
				bytesPerRefresh: (end.offset - start.offset) / refreshes,
				cpuMs: end.cpu - start.cpu,
				cpuPerRefresh: (end.cpu - start.cpu) / refreshes,
				tmuxCpuPerRefresh: (end.tmuxCpu - start.tmuxCpu) / refreshes,
				seconds: (end.at - start.at) / 1000,
				clocks: [start.clock, end.clock],
				rssKiB: samples,
			};
		};

		const idle = await windowOf('a');
		const idleScreen = screen();
		let added = 0;
		const addJob = async () => {
			await queue.add('send-statement', {memberId: added}, {});
			added++;
		};
		// Lead-in: the first job takes the queue from nothing waiting to waiting (its STATE and
		// LATENCY cells change width, so the table is laid out again: every row differs once).
		// That refresh is reported on its own; the window (b) starts after it.
		await nextRefresh();
		await addJob();
		const relayout = await nextRefresh();
		await addJob();
		const busy = await windowOf('b', addJob);
		// The bytes from the re-laid-out frame's status line to the next one: that frame's rows.
		const firstJob = {bytes: busy.startOffset - relayout.offset, cpuMs: busy.startCpu - relayout.cpu};
		const busyScreen = screen();
		const end = memory(pid);

		// What the terminal shows: every queue known, and in (b) the first queue's waiting count moving.
		const facts = idleScreen.match(/updated \d\d:\d\d:\d\d\s+1\/(\d+)/)?.[1];
		if (Number(facts) !== size) throw new Error(`${variant} console shows ${facts ?? 'no'} queues, expected ${size}; the screen:\n${idleScreen}`);
		// The WAITING cell: right-aligned under its heading (STATE may be two words, "NO WORKER").
		const waitingOf = text => {
			const lines = text.split('\n');
			const head = lines.find(line => /\bQUEUE\b.*\bWAITING\b/.test(line)) ?? '';
			const row = lines.find(line => new RegExp(`^\\W*${queueName(0)}\\s`).test(line)) ?? '';
			return head ? Number(row.slice(0, head.indexOf('WAITING') + 'WAITING'.length).trim().split(/\s+/).pop()) : Number.NaN;
		};
		const waiting = waitingOf(busyScreen);
		if (!(waitingOf(idleScreen) === 0 && waiting >= added - 2 && waiting <= added)) {
			throw new Error(`${variant} console: ${queueName(0)} WAITING ${waitingOf(idleScreen)} → ${waiting} on screen after ${added} jobs added; the screen:\n${busyScreen}`);
		}
		return {variant, size, pid, firstClock: first.clock, startup, idle, firstJob, busy, waitingShown: waiting, added, hwmKiB: end?.hwm, rssEndKiB: end?.rss, captureBytes: statSync(capture).size};
	} finally {
		let pid;
		try {
			pid = Number(tmux('display-message', '-p', '-t', 'console', '#{pane_pid}'));
		} catch {
			// no session
		}
		killTmux(socket);
		// The console ends on SIGHUP; make sure of it.
		for (let index = 0; pid && index < 40 && cpuMs(pid) !== undefined; index++) await sleep(50);
		if (pid && cpuMs(pid) !== undefined) process.kill(pid, 'SIGKILL');
	}
}

// ---------------------------------------------------------------------------

async function main() {
	const benchStarted = performance.now();
	if (missingBuild(BENCH, ['cli.js', 'tui/terminal.js', 'tui/frame-diff.js'])) return 2;
	for (const [tool, flag] of [['tmux', '-V'], ['redis-server', '--version']]) {
		try {
			execFileSync(tool, [flag], {stdio: 'ignore'});
		} catch {
			process.stderr.write(`${BENCH}: ${tool} not found (Debian/Ubuntu: apt-get install ${tool})\n`);
			return 2;
		}
	}
	const stale = staleBuild();
	const before = {commit: beforeCommit()};
	if (options.before) {
		before.dir = path.resolve(options.before);
		if (!existsSync(path.join(before.dir, 'bin', 'saccos-queue.js')) || !existsSync(path.join(before.dir, 'dist', 'cli.js'))) {
			process.stderr.write(`${BENCH}: --before ${before.dir} has no bin/saccos-queue.js and dist/cli.js (a built checkout)\n`);
			return 2;
		}
		try {
			before.commit = execFileSync('git', ['rev-parse', 'HEAD'], {cwd: before.dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).trim();
		} catch {
			note(`${before.dir} is not a git checkout: taken to be ${before.commit.slice(0, 7)}`);
		}
	} else {
		note(`building the commit before the frame diff (${before.commit.slice(0, 7)}) from git archive in a temp dir…`);
		const started = performance.now();
		before.dir = buildBefore(before.commit);
		note(`  built in ${fmt((performance.now() - started) / 1000)} s`);
	}
	const variants = [{variant: 'now', dir: root, label: `now (${gitDescribe()})`}, {variant: 'before', dir: before.dir, label: `before (${before.commit.slice(0, 7)})`}];
	if (!options['no-diff-off']) variants.push({variant: 'diff-off', dir: buildDiffOff(), label: 'diff-off (now, differ skipped)'});
	if (!options['no-rows-off']) variants.push({variant: 'rows-off', dir: buildRowsOff(), label: 'rows-off (now, Ink\'s Output.get)'});
	if (!options['no-opt-on']) variants.push({variant: 'opt-on', dir: root, nodeFlags: '--turbofan', label: 'opt-on (now, TurboFan from the start)'});
	if (!options['no-heap-off']) variants.push({variant: 'heap-off', dir: root, nodeFlags: '--max-semi-space-size=16', label: 'heap-off (now, V8 default heap)'});

	const server = await startRedis();
	const {Queue} = await import('bullmq');
	const {Redis} = await import('ioredis');
	const client = new Redis(server.url, {maxRetriesPerRequest: null});
	const first = new Queue(queueName(0), {connection: client, prefix: PREFIX});
	const results = [];
	try {
		const max = Math.max(...SIZES);
		note(`creating ${max} BullMQ queues (one delayed job each)…`);
		const keys = await fill(server.url, max);
		const cwds = Object.fromEntries(SIZES.map(size => [size, configDir(size)]));

		console.log('console terminal cost: bytes, CPU and RSS per refresh in tmux — bench/console-terminal.js');
		console.log(machineLine(server.version));
		console.log(`now = ${gitDescribe()} (this worktree's dist/); before = ${before.commit.slice(0, 7)} (${git('log', '-1', '--format=%s', before.commit).slice(0, 60)}…; Ink incrementalRendering)${options['no-diff-off'] ? '' : '; diff-off = now\'s dist/ with the frame differ skipped (Ink standard mode)'}${options['no-rows-off'] ? '' : '; rows-off = now\'s dist/ composing frames with Ink\'s own Output.get()'}${options['no-heap-off'] ? '' : '; heap-off = now\'s dist/ under node --max-semi-space-size=16 (console-heap.ts sets nothing: V8\'s default heap sizing)'}${options['no-opt-on'] ? '' : '; opt-on = now\'s dist/ under node --turbofan (console-tier.ts sets nothing: TurboFan from the start)'}`);
		console.log(`tmux ${execFileSync('tmux', ['-V'], {encoding: 'utf8'}).trim().replace(/^tmux /, '')} ${COLUMNS}×${ROWS}, --refresh ${REFRESH}, per console: first frame + ${WARMUP} warm-up refreshes, then (a) ${WINDOW} refreshes idle, 2 lead-in refreshes (the first job added to ${queueName(0)}), (b) ${WINDOW} refreshes with a job added to ${queueName(0)} after each; DBSIZE ${keys}`);
		if (stale) console.log('WARNING: a file in source/ is newer than dist/: the code measured is the last build (run `npm run build`).');
		console.log('');

		for (const [position, size] of SIZES.entries()) {
			const order = position % 2 === 0 ? variants : [...variants].reverse();
			for (const spec of order) {
				await first.drain(false);
				if ((await first.getWaitingCount()) !== 0) throw new Error(`${queueName(0)} still has waiting jobs after drain`);
				const result = await measureConsole({...spec, size, cwd: cwds[size], url: server.url, queue: first});
				results.push({...result, label: spec.label});
				note(`${spec.variant} @${size} queues: (a) ${fmt(result.idle.bytesPerRefresh, 0)} B, ${fmt(result.idle.cpuPerRefresh)} ms CPU; 1st job ${result.firstJob.bytes} B; (b) ${fmt(result.busy.bytesPerRefresh, 0)} B, ${fmt(result.busy.cpuPerRefresh)} ms CPU per refresh; RSS ${fmt(mib(summarize([...result.idle.rssKiB, ...result.busy.rssKiB]).median), 0)} MiB`);
			}
		}
	} finally {
		await first.close();
		client.disconnect();
		await stopRedis(server);
	}

	// ---- report -------------------------------------------------------------
	const rows = [];
	for (const result of results) {
		const rss = summarize([...result.idle.rssKiB, ...result.busy.rssKiB]);
		const memoryCells = [fmt(mib(rss.median), 0), fmt(mib(rss.max), 0), fmt(mib(result.hwmKiB), 0)];
		const windowRow = (window, title) => [
			result.label, result.size, title, window.refreshes, fmt(window.seconds),
			fmt(window.bytesPerRefresh, 0), fmt(window.cpuPerRefresh), fmt(window.tmuxCpuPerRefresh), ...memoryCells,
		];
		rows.push([result.label, result.size, '    start-up + warm-up', result.startup.refreshes, '', '', fmt(result.startup.cpuMs), '', '', '', '']);
		rows.push(windowRow(result.idle, '(a) clock only'));
		rows.push([result.label, result.size, '    1st job: re-layout', 1, '', fmt(result.firstJob.bytes, 0), fmt(result.firstJob.cpuMs), '', '', '', '']);
		rows.push(windowRow(result.busy, '(b) +1 job/refresh'));
	}
	console.log('Per refresh: bytes written to the terminal, CPU of the console (utime+stime), CPU of the tmux server; RSS of the console in MiB (median/max of the samples at each refresh of both windows, VmHWM at the end)');
	console.log(table(['build', 'queues', 'scenario', 'n', 'window s', 'bytes', 'CPU ms', 'tmux ms', 'RSS', 'RSS max', 'HWM'], rows, new Set([1, 3, 4, 5, 6, 7, 8, 9, 10])));
	console.log(`(CPU from /proc/<pid>/stat in ticks of ${fmt(1000 / CLK_TCK, 0)} ms: ±${fmt(2000 / CLK_TCK / WINDOW)} ms per refresh over a window of ${WINDOW})`);
	console.log('');

	const get = (variant, size) => results.find(result => result.variant === variant && result.size === size);
	const nowAt = SIZES.map(size => get('now', size));
	const now50 = get('now', 50);
	const before50 = get('before', 50);
	const off50 = get('diff-off', 50);
	const rowsOff50 = get('rows-off', 50);
	const heapOff50 = get('heap-off', 50);
	const optOn50 = get('opt-on', 50);
	const rss50 = summarize([...now50.idle.rssKiB, ...now50.busy.rssKiB]);
	const ratio = scenario => now50[scenario].cpuPerRefresh / before50[scenario].cpuPerRefresh;
	const claims = {
		bytes: nowAt.every(result => result.idle.bytesPerRefresh <= BYTES_LIMIT),
		cpu: ratio('idle') <= CPU_RATIO && ratio('busy') <= CPU_RATIO,
		rss: mib(rss50.median) <= RSS_LIMIT_MIB,
	};
	console.log(`CLAIM 1 ${verdict(claims.bytes)}: now, (a) clock only, ≤ ${BYTES_LIMIT} bytes per refresh: ${nowAt.map(result => `${fmt(result.idle.bytesPerRefresh, 0)} B at ${result.size} queues`).join(', ')} (before: ${SIZES.map(size => `${fmt(get('before', size).idle.bytesPerRefresh, 0)} B`).join(', ')}${off50 ? `; diff-off: ${SIZES.map(size => `${fmt(get('diff-off', size).idle.bytesPerRefresh, 0)} B`).join(', ')}` : ''})`);
	console.log(`CLAIM 2 ${verdict(claims.cpu)}: now, 50 queues, CPU per refresh ≤ ${CPU_RATIO}× before's: (a) ${fmt(now50.idle.cpuPerRefresh)} vs ${fmt(before50.idle.cpuPerRefresh)} ms = ${fmt(ratio('idle'), 2)}×, (b) ${fmt(now50.busy.cpuPerRefresh)} vs ${fmt(before50.busy.cpuPerRefresh)} ms = ${fmt(ratio('busy'), 2)}×${off50 ? ` (diff-off: (a) ${fmt(off50.idle.cpuPerRefresh)} ms = ${fmt(now50.idle.cpuPerRefresh / off50.idle.cpuPerRefresh, 2)}×, (b) ${fmt(off50.busy.cpuPerRefresh)} ms = ${fmt(now50.busy.cpuPerRefresh / off50.busy.cpuPerRefresh, 2)}×)` : ''}`);
	if (rowsOff50) console.log(`INFO rows-off, 50 queues: (a) ${fmt(rowsOff50.idle.cpuPerRefresh)} ms, (b) ${fmt(rowsOff50.busy.cpuPerRefresh)} ms CPU per refresh with Ink's own Output.get(); now: ${fmt(now50.idle.cpuPerRefresh / rowsOff50.idle.cpuPerRefresh, 2)}× and ${fmt(now50.busy.cpuPerRefresh / rowsOff50.busy.cpuPerRefresh, 2)}× of it`);
	console.log(`CLAIM 3 ${verdict(claims.rss)}: now, 50 queues, RSS ≤ ${RSS_LIMIT_MIB} MiB: median ${fmt(mib(rss50.median))} MiB over ${rss50.n} samples (min ${fmt(mib(rss50.min))}, max ${fmt(mib(rss50.max))}, VmHWM ${fmt(mib(now50.hwmKiB))}; before: median ${fmt(mib(summarize([...before50.idle.rssKiB, ...before50.busy.rssKiB]).median))} MiB)`);
	if (heapOff50) {
		const young = summarize([...heapOff50.idle.rssKiB, ...heapOff50.busy.rssKiB]);
		console.log(`INFO heap-off, 50 queues: RSS median ${fmt(mib(young.median))} MiB (max ${fmt(mib(young.max))}), CPU per refresh (a) ${fmt(heapOff50.idle.cpuPerRefresh)} ms, (b) ${fmt(heapOff50.busy.cpuPerRefresh)} ms with V8's default heap sizing; now: ${fmt(mib(rss50.median))} MiB, ${fmt(now50.idle.cpuPerRefresh)} / ${fmt(now50.busy.cpuPerRefresh)} ms`);
	}
	if (optOn50) {
		const rss = summarize([...optOn50.idle.rssKiB, ...optOn50.busy.rssKiB]);
		console.log(`INFO opt-on, 50 queues: start-up CPU ${fmt(optOn50.startup.cpuMs / 1000, 2)} s, CPU per refresh (a) ${fmt(optOn50.idle.cpuPerRefresh)} ms, (b) ${fmt(optOn50.busy.cpuPerRefresh)} ms, RSS median ${fmt(mib(rss.median))} MiB with TurboFan from the start; now: ${fmt(now50.startup.cpuMs / 1000, 2)} s, ${fmt(now50.idle.cpuPerRefresh)} / ${fmt(now50.busy.cpuPerRefresh)} ms, ${fmt(mib(rss50.median))} MiB`);
	}
	console.log(`(bench took ${fmt((performance.now() - benchStarted) / 1000, 0)} s)`);

	if (options.out) {
		writeFileSync(options.out, `${JSON.stringify({
			date: new Date().toISOString(), node: process.version, commit: gitDescribe(), beforeCommit: before.commit,
			columns: COLUMNS, rows: ROWS, refresh: REFRESH, window: WINDOW, warmup: WARMUP, clkTck: CLK_TCK,
			limits: {bytes: BYTES_LIMIT, cpuRatio: CPU_RATIO, rssMiB: RSS_LIMIT_MIB}, results, claims,
		}, null, 2)}\n`);
	}
	return Object.values(claims).every(Boolean) ? 0 : 1;
}

await runMain(BENCH, main);
