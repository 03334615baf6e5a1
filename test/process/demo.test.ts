/**
 * `saccos-queue demo` end to end: in a real terminal (tmux), the four seed
 * queues with moving numbers, `q` quits, and nothing it started is left —
 * no redis-server, no worker, no scheduler, no temp dir; and without a
 * terminal, `demo --duration 5` exits 0 and leaves nothing either.
 * The demo's temp dir is created under TMPDIR, which the test points at a
 * private folder, so "what the demo started" is identified by that folder
 * (in a process's argv, cwd or environment), by ancestry, and by the port
 * of its private Redis — never by a broad name (other tests run Redis too).
 */
import {processes, type Proc} from '../helpers/procs.js';
import {spawn, spawnSync} from 'node:child_process';
import {randomUUID} from 'node:crypto';
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {after, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {getEventListeners, setMaxListeners} from 'node:events';
import {loadConfig} from '../../source/config.js';
import {connect} from '../../source/data/connection.js';
import {runTraffic} from '../../source/runtime/traffic.js';
import {binary, cleanEnv, describeResult, gatherOutput, runCli} from '../helpers/cli.js';
import {mountSmallFs, smallFsUnavailable} from '../helpers/small-fs.js';
import {deletePrefix, describeDigestDiff, keyspaceDigest, waitFor} from '../helpers/keyspace.js';
import {startRedisServer, testRedisUrl} from '../helpers/redis-server.js';
import {Queue} from 'bullmq';
import {Redis} from 'ioredis';



function alive(pid: number): boolean {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
	} catch {
		return false;
	}
}

/** Every process below `root` (children, grandchildren …). */
function descendants(root: number, table = processes()): Proc[] {
	const found: Proc[] = [];
	const parents = new Set([root]);
	for (let grew = true; grew;) {
		grew = false;
		for (const proc of table) {
			if (parents.has(proc.ppid) && !parents.has(proc.pid)) {
				parents.add(proc.pid);
				found.push(proc);
				grew = true;
			}
		}
	}
	return found;
}

const isRedis = (proc: Proc) => proc.cmdline[0]?.includes('redis-server') === true;
const isSaccos = (proc: Proc) => proc.cmdline.some(arg => arg.endsWith('saccos-queue.js'));

/** What is left of a demo that used `tmp` as TMPDIR and Redis on `port`: not tmux, not us. */
function leftovers(tmp: string, port: number | undefined): Proc[] {
	return processes().filter(proc => proc.pid !== process.pid && !proc.cmdline[0]?.includes('tmux') && (
		proc.cmdline.some(arg => arg.includes(tmp))
		|| proc.cwd.startsWith(tmp)
		|| proc.environ.some(variable => variable.startsWith('SACCOS_QUEUE_STATE_DIR=') && variable.includes(tmp))
		|| (port !== undefined && isRedis(proc) && proc.cmdline.join(' ').includes(`:${port}`))));
}

const describeProcs = (procs: Proc[]) => procs.map(proc => `${proc.pid} (ppid ${proc.ppid}, ${proc.state}) ${proc.cmdline.join(' ')} [cwd ${proc.cwd}]`).join('\n');

/** The demo's table (the console's queues view, or the piped status table): queue → COMPLETED. */
function completed(screen: string): Map<string, number> {
	const rows = new Map<string, number>();
	const lines = screen.split('\n');
	const header = lines.findIndex(line => /^\s*QUEUE\s/.test(line));
	if (header === -1) return rows;
	const column = lines[header]!.trim().split(/\s+/).indexOf('COMPLETED');
	for (const line of lines.slice(header + 1)) {
		// The console marks the selected row with "▸".
		const cells = line.replace(/^\s*▸/, '').trim().split(/\s+/);
		if (['high', 'default', 'emails', 'notifications'].includes(cells[0]!) && /^\d+$/.test(cells[column] ?? '')) rows.set(cells[0]!, Number(cells[column]));
	}
	return rows;
}

const tmux = spawnSync('tmux', ['-V'], {encoding: 'utf8'});
const NO_TMUX = tmux.error || tmux.status !== 0 ? 'tmux is not installed (Debian/Ubuntu: apt-get install tmux)' : undefined;
const redisCheck = spawnSync('redis-server', ['--version'], {encoding: 'utf8'});
const NO_REDIS = redisCheck.error ? 'redis-server is not installed (the demo starts its own)' : undefined;

// One test at a time: each demo is a redis-server and five Node processes, and
// three at once on 2 cores starved the other test file running beside them.
describe('demo', {concurrency: false}, () => {
	const scratch: string[] = [];
	const started = new Set<number>();
	const fresh = (label: string) => {
		// Short: the demo's Unix socket lives below it (108-byte limit).
		const dir = mkdtempSync(path.join(os.tmpdir(), `sqd-${label}-`));
		scratch.push(dir);
		return dir;
	};
	after(() => {
		for (const pid of started) if (alive(pid)) process.kill(pid, 'SIGKILL');
		for (const dir of scratch) {
			for (const proc of leftovers(dir, undefined)) process.kill(proc.pid, 'SIGKILL');
			rmSync(dir, {recursive: true, force: true});
		}
	});

	it('in a terminal (tmux): the console over the four seed queues with moving numbers; q quits and leaves nothing', {skip: NO_TMUX ?? NO_REDIS, timeout: 90_000}, async () => {
		const tmp = fresh('tty');
		const socket = `saccos-demo-${randomUUID().slice(0, 8)}`;
		const env = cleanEnv({TMPDIR: tmp, TERM: 'xterm-256color', LANG: 'C.UTF-8', LC_ALL: undefined, LC_CTYPE: undefined});
		const tmuxCmd = (...args: string[]) => spawnSync('tmux', ['-L', socket, ...args], {encoding: 'utf8', env});
		const before = new Set(processes().map(proc => proc.pid));
		let port: number | undefined;
		try {
			const created = tmuxCmd('new-session', '-d', '-x', '200', '-y', '50', '-s', 'demo', `exec '${process.execPath}' '${binary}' demo`);
			assert.equal(created.status, 0, created.stderr);
			const panePid = Number(tmuxCmd('list-panes', '-t', 'demo', '-F', '#{pane_pid}').stdout.trim());
			assert.ok(panePid > 0, 'the pane runs the demo');
			started.add(panePid);
			const capture = () => tmuxCmd('capture-pane', '-p', '-t', 'demo').stdout;
			const first = await waitFor(() => {
				const screen = capture();
				return completed(screen).size === 4 ? screen : undefined;
			}, 'the four seed queues on screen', 40_000);
			port = Number(/redis:\/\/127\.0\.0\.1:(\d+)/.exec(first)?.[1]);
			assert.ok(port > 0, `the demo names its private Redis:\n${first}`);
			const sum = (rows: Map<string, number>) => [...rows.values()].reduce((a, b) => a + b, 0);
			const start = sum(completed(first));
			await waitFor(() => sum(completed(capture())) > start, 'the completed counts to grow between two screens', 40_000);
			// What the demo runs: its private redis-server and the supervised workers and scheduler.
			const children = await waitFor(() => {
				const below = descendants(panePid);
				return below.filter(isRedis).length === 1 && below.filter(isSaccos).length >= 5 ? below : undefined;
			}, 'the demo\'s redis-server and its five services');
			for (const proc of children) started.add(proc.pid);
			assert.ok(leftovers(tmp, port).length >= 6, `leftovers() sees the running demo:\n${describeProcs(leftovers(tmp, port))}`);
			const demoDir = path.dirname(children.find(isSaccos)!.cmdline[children.find(isSaccos)!.cmdline.indexOf('--config') + 1]!);
			assert.ok(demoDir.startsWith(path.join(tmp, 'saccos-queue-demo-')), `the demo's temp dir ${demoDir} is under TMPDIR`);
			assert.ok(existsSync(demoDir));

			assert.equal(tmuxCmd('send-keys', '-t', 'demo', 'q').status, 0);
			await waitFor(() => !alive(panePid), 'the demo to exit after q', 30_000);
			const stillAlive = children.filter(proc => alive(proc.pid));
			assert.deepEqual(stillAlive, [], `left running:\n${describeProcs(stillAlive)}`);
			const left = leftovers(tmp, port);
			assert.deepEqual(left, [], `left behind:\n${describeProcs(left)}`);
			const newOnes = processes().filter(proc => !before.has(proc.pid) && (isRedis(proc) || isSaccos(proc)) && (proc.cwd.startsWith(tmp) || proc.cmdline.join(' ').includes(tmp) || proc.cmdline.join(' ').includes(`:${port}`)));
			assert.deepEqual(newOnes, [], `new redis-server/saccos-queue processes of the demo after quitting:\n${describeProcs(newOnes)}`);
			assert.ok(!existsSync(demoDir), `${demoDir} was removed`);
			assert.deepEqual(readdirSync(tmp).filter(name => name.startsWith('saccos-queue-demo-')), []);
		} finally {
			tmuxCmd('kill-server');
			// tmux leaves its socket file behind.
			rmSync(path.join(process.env['TMUX_TMPDIR'] || '/tmp', `tmux-${process.getuid!()}`, socket), {force: true});
		}
	});

	it('the terminal goes away (tmux killed: SIGHUP, as when an SSH session drops): nothing is left either', {skip: NO_TMUX ?? NO_REDIS, timeout: 90_000}, async () => {
		const tmp = fresh('hup');
		const socket = `saccos-demo-${randomUUID().slice(0, 8)}`;
		const env = cleanEnv({TMPDIR: tmp, TERM: 'xterm-256color', LANG: 'C.UTF-8', LC_ALL: undefined, LC_CTYPE: undefined});
		const tmuxCmd = (...args: string[]) => spawnSync('tmux', ['-L', socket, ...args], {encoding: 'utf8', env});
		try {
			assert.equal(tmuxCmd('new-session', '-d', '-x', '200', '-y', '50', '-s', 'demo', `exec '${process.execPath}' '${binary}' demo`).status, 0);
			const panePid = Number(tmuxCmd('list-panes', '-t', 'demo', '-F', '#{pane_pid}').stdout.trim());
			started.add(panePid);
			const screen = await waitFor(() => {
				const text = tmuxCmd('capture-pane', '-p', '-t', 'demo').stdout;
				return completed(text).size === 4 ? text : undefined;
			}, 'the console over the four seed queues', 40_000);
			const port = Number(/redis:\/\/127\.0\.0\.1:(\d+)/.exec(screen)?.[1]);
			const children = await waitFor(() => {
				const below = descendants(panePid);
				return below.filter(isRedis).length === 1 && below.filter(isSaccos).length >= 5 ? below : undefined;
			}, 'the demo\'s redis-server and its five services');
			for (const proc of children) started.add(proc.pid);
			tmuxCmd('kill-server');
			await waitFor(() => !alive(panePid), 'the demo to exit after the hang-up', 30_000);
			await waitFor(() => children.every(proc => !alive(proc.pid)), 'its redis-server and services to stop', 30_000);
			assert.deepEqual(leftovers(tmp, port), [], `left behind:\n${describeProcs(leftovers(tmp, port))}`);
			assert.deepEqual(readdirSync(tmp).filter(name => name.startsWith('saccos-queue-demo-')), [], 'the temp dir was removed');
		} finally {
			tmuxCmd('kill-server');
			rmSync(path.join(process.env['TMUX_TMPDIR'] || '/tmp', `tmux-${process.getuid!()}`, socket), {force: true});
		}
	});

	/** `demo …args` without a terminal (pipes), in `tmp`: its output, its exit once it comes, and its redis-server and five services once they run. */
	const pipedDemo = (tmp: string, args: string[]) => {
		const child = spawn(process.execPath, [binary, 'demo', ...args], {cwd: tmp, env: cleanEnv({TMPDIR: tmp}), stdio: ['ignore', 'pipe', 'pipe']});
		started.add(child.pid!);
		const output = gatherOutput(child);
		let result: [number | null, NodeJS.Signals | null] | undefined;
		child.once('close', (code, signal) => {
			result = [code, signal];
		});
		const exited = () => result;
		const running = async () => {
			const below = await waitFor(() => {
				const procs = descendants(child.pid!);
				return procs.filter(isRedis).length === 1 && procs.filter(isSaccos).length >= 5 ? procs : (result ? [] : undefined);
			}, 'the demo\'s redis-server and its five services', 30_000);
			for (const proc of below) started.add(proc.pid);
			return below;
		};
		return {child, output, exited, running};
	};

	type PipeRun = {stdout: string; stderr: string; code: number | null; signal: NodeJS.Signals | null; children: Proc[]; tmp: string};
	let pipeRun: Promise<PipeRun> | undefined;
	/** One `demo --duration 5` with pipes for stdout/stderr, shared by the tests below. */
	const runPiped = async (): Promise<PipeRun> => {
		pipeRun ??= (async () => {
			const tmp = fresh('pipe');
			const {output, exited, running} = pipedDemo(tmp, ['--duration', '5']);
			const children = await running();
			// The leak detector finds the demo's processes while it runs (so "none left" below means something).
			assert.ok(leftovers(tmp, undefined).length >= 6 || exited(), `leftovers() sees the running demo:\n${describeProcs(leftovers(tmp, undefined))}`);
			const [code, signal] = await waitFor(exited, 'demo --duration 5 to exit', 40_000);
			return {stdout: output.stdout(), stderr: output.stderr(), code, signal, children, tmp};
		})();
		return pipeRun;
	};

	it('without a terminal, demo --duration 5 exits 0 and leaves nothing behind', {skip: NO_REDIS, timeout: 90_000}, async () => {
		const {stdout, stderr, code, signal, children, tmp} = await runPiped();
		assert.ok(children.length >= 6, `the demo ran its redis-server and services (stderr: ${stderr})`);
		assert.equal(code, 0, `exit ${code} ${signal}\n${stderr}`);
		const port = Number(/Redis redis:\/\/127\.0\.0\.1:(\d+)/.exec(stdout)?.[1]);
		assert.ok(port > 0, stdout.slice(0, 500));
		for (const queue of ['high', 'default', 'emails', 'notifications']) assert.match(stdout, new RegExp(`^${queue}\\s`, 'm'), `queue ${queue} in the table`);
		assert.doesNotMatch(stdout, /\u001B/, 'no escape sequences when stdout is not a terminal');
		const stillAlive = children.filter(proc => alive(proc.pid));
		assert.deepEqual(stillAlive, [], `left running:\n${describeProcs(stillAlive)}`);
		assert.deepEqual(leftovers(tmp, port), [], `left behind:\n${describeProcs(leftovers(tmp, port))}`);
		assert.deepEqual(readdirSync(tmp).filter(name => name.startsWith('saccos-queue-demo-')), [], 'the temp dir was removed');
	});

	it('a full or read-only temporary folder (TMPDIR): exit 74 naming it, and nothing left running', {skip: NO_REDIS ?? smallFsUnavailable(), timeout: 90_000}, async t => {
		const disk = mountSmallFs(t, 64 * 1024);
		disk.readOnly();
		const readOnly = await runCli(['demo', '--duration', '1'], {env: {TMPDIR: disk.dir}, timeoutMs: 60_000});
		assert.equal(readOnly.code, 74, describeResult(readOnly));
		assert.match(readOnly.stderr, new RegExp(`^saccos-queue: cannot create a folder in ${disk.dir}: the filesystem is read-only \\(EROFS\\)\n  hint: .*TMPDIR`), describeResult(readOnly));

		disk.writable();
		disk.fill(0);
		const full = await runCli(['demo', '--duration', '1'], {env: {TMPDIR: disk.dir}, timeoutMs: 60_000});
		assert.equal(full.code, 74, describeResult(full));
		assert.match(full.stderr, /^saccos-queue: cannot write .*saccos-queue\.config\.json: no space left on the device \(ENOSPC\)\n/, describeResult(full));
		const left = processes().filter(proc => proc.cmdline.some(arg => arg.startsWith(disk.dir)));
		assert.deepEqual(left.map(proc => proc.cmdline.join(' ')), [], 'its redis-server was stopped');
		assert.deepEqual(readdirSync(disk.dir).filter(name => name.startsWith('saccos-queue-demo-')), [], 'its folder was removed');
	});

	it('demo --redis on a Redis of yours keeps to a prefix of its own and deletes it: the keyspace is as it was, your queues untouched', {skip: NO_REDIS, timeout: 90_000}, async () => {
		const yours = await startRedisServer();
		const client = new Redis(yours.url);
		try {
			const queue = new Queue('high', {connection: client, prefix: 'bull'});
			const job = await queue.add('loan.approved', {loanId: 7});
			await queue.close();
			const before = await keyspaceDigest(client);
			const tmp = fresh('yours');
			const {output, exited} = pipedDemo(tmp, ['--redis', yours.url, '--duration', '4']);
			// While it runs, its traffic and workers are under its own prefix.
			await waitFor(async () => (await client.keys('saccos-demo-*:*:id')).length > 0 || exited(), 'the demo\'s jobs under its own prefix', 30_000);
			const [code] = await waitFor(exited, 'demo --duration 4 to exit', 60_000);
			assert.equal(code, 0, output.stderr());
			const after = await keyspaceDigest(client);
			assert.equal(after.hash, before.hash, `the demo left its mark:\n${describeDigestDiff(before.entries, after.entries)}`);
			assert.equal(await client.hget(`bull:high:${job.id!}`, 'name'), 'loan.approved', 'your waiting job was not taken');
			assert.deepEqual(leftovers(tmp, undefined), [], `left behind:\n${describeProcs(leftovers(tmp, undefined))}`);
		} finally {
			client.disconnect();
			await yours.stop();
		}
	});

	it('its redis-server killed under it: SIGTERM still ends the demo, in bounded time, leaving nothing', {skip: NO_REDIS, timeout: 120_000}, async () => {
		const tmp = fresh('dead');
		const {child, output, exited, running} = pipedDemo(tmp, ['--duration', '120']);
		const children = await running();
		assert.ok(children.length > 0, `the demo ended before it ran: ${output.stderr()}`);
		// Running, not starting: its status table is out.
		await waitFor(() => /^notifications\s/m.test(output.stdout()), 'the demo\'s first status table', 30_000);
		process.kill(children.find(isRedis)!.pid, 'SIGKILL');
		child.kill('SIGTERM');
		const [code, signal] = await waitFor(exited, 'the demo to exit after SIGTERM with its Redis gone', 60_000);
		assert.equal(signal, null, `killed by ${signal}: ${output.stderr()}`);
		assert.equal(code, 0, output.stderr());
		assert.doesNotMatch(output.stderr(), /\n\s+at /, 'no stack trace on the way out');
		await waitFor(() => children.every(proc => !alive(proc.pid)), 'its services to stop', 30_000);
		assert.deepEqual(leftovers(tmp, undefined), [], `left behind:\n${describeProcs(leftovers(tmp, undefined))}`);
	});

	it('the demo\'s traffic leaves no abort listener behind per dispatched job (a leak, and a MaxListenersExceededWarning on the demo\'s screen)', async () => {
		const url = testRedisUrl();
		const prefix = `demo-traffic-${randomUUID().slice(0, 8)}`;
		const config = await loadConfig({redis: url, prefix}, {});
		config.queueOrder = ['high', 'default', 'emails', 'notifications'];
		const connection = await connect(config, 'console');
		const stop = new AbortController();
		setMaxListeners(1000, stop.signal); // the count below is the check; spare the test output Node's warning
		const traffic = runTraffic(connection, config, stop.signal, 2);
		try {
			const dispatched = async () => {
				const ids = await Promise.all(config.queueOrder.map(async queue => connection.client.get(`${prefix}:${queue}:id`)));
				return ids.reduce((sum, id) => sum + Number(id ?? 0), 0);
			};
			await waitFor(async () => (await dispatched()) >= 25, '25 jobs dispatched by the traffic', 20_000);
			const listeners = getEventListeners(stop.signal, 'abort').length;
			assert.ok(listeners <= 2, `${listeners} abort listeners on the traffic's signal after ${await dispatched()} jobs (one is added per job and never removed)`);
		} finally {
			stop.abort();
			await traffic;
			await connection.close();
			await deletePrefix(url, prefix);
		}
	});
});
