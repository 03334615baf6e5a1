/**
 * Long-running `saccos-queue worker` / `scheduler` processes for the runtime
 * tests: spawned as systemd would (node bin/saccos-queue.js …, no shell, no
 * terminal), stdout parsed as one JSON object per line, waits on log lines,
 * files and exits with deadlines — never sleeps. Also a per-test sandbox: a
 * temp dir, a unique key prefix, config files, the record processor's file,
 * and cleanup of all of it (processes included).
 */
import {after} from 'node:test';
import {setTimeout as sleep} from 'node:timers/promises';
import {spawn, type ChildProcess} from 'node:child_process';
import {randomUUID} from 'node:crypto';
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {Queue, type JobsOptions} from 'bullmq';
import {Redis} from 'ioredis';
import {binary, cleanEnv} from './cli.js';
import {deletePrefix, waitFor, WAIT_BUDGET_MS} from './keyspace.js';
import {startRedisServer, type RedisServer} from './redis-server.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** Absolute paths of the test processors (test/helpers/processors/). */
export const processors = {
	record: path.join(here, 'processors', 'record.js'),
	validated: path.join(here, 'processors', 'validated.js'),
	noop: path.join(here, 'processors', 'noop.js'),
};

export type LogLine = Record<string, unknown> & {level?: string; msg?: string; time?: string};
export type Exit = {code: number | null; signal: NodeJS.Signals | null; ms: number};

/** A running `saccos-queue <command>` child with its parsed log. */
export type LongProcess = {
	child: ChildProcess;
	pid: number;
	/** Every stdout line parsed as JSON so far (a line that is not JSON fails the test at the end via `rawLines`). */
	lines: LogLine[];
	/** Every stdout line as written. */
	rawLines: string[];
	stderr(): string;
	/** Resolves with the first log line (past or future) matching `match`. */
	waitForLine(match: (line: LogLine) => boolean, what: string, timeoutMs?: number): Promise<LogLine>;
	/** Resolves when the process exits (never rejects). */
	exited: Promise<Exit>;
	/** The exit, or a rejection naming what was awaited: `timeoutMs` after the process's first output (its boot is not counted). */
	waitForExit(timeoutMs: number, what?: string): Promise<Exit>;
	signal(signal: NodeJS.Signals): void;
	/** A readable summary for assertion messages: the last log lines and stderr. */
	describe(): string;
};

const running = new Set<LongProcess>();

/**
 * Starts `saccos-queue <args>` (args include the command, e.g. ['worker', …]).
 * The caller passes --config, --redis, --prefix.
 */
export function startProcess(args: readonly string[], options: {env?: Record<string, string | undefined>; cwd?: string} = {}): LongProcess {
	const started = performance.now();
	const child = spawn(process.execPath, [binary, ...args], {
		cwd: options.cwd ?? os.tmpdir(),
		env: cleanEnv(options.env),
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	const lines: LogLine[] = [];
	const rawLines: string[] = [];
	let stderr = '';
	let pending = '';
	const waiters = new Set<() => void>();
	// When it first wrote anything: the end of its boot, which waitForExit does not count.
	let spoke: () => void = () => {};
	const booted = new Promise<void>(resolve => {
		spoke = resolve;
	});
	const notify = () => {
		for (const waiter of waiters) waiter();
	};
	child.stdout!.setEncoding('utf8');
	child.stdout!.on('data', (chunk: string) => {
		spoke();
		pending += chunk;
		let newline = pending.indexOf('\n');
		while (newline !== -1) {
			const line = pending.slice(0, newline);
			pending = pending.slice(newline + 1);
			rawLines.push(line);
			try {
				lines.push(JSON.parse(line) as LogLine);
			} catch {
				lines.push({level: 'unparsed', msg: line});
			}
			newline = pending.indexOf('\n');
		}
		notify();
	});
	child.stderr!.setEncoding('utf8');
	child.stderr!.on('data', (chunk: string) => {
		spoke();
		stderr += chunk;
	});
	let exitInfo: Exit | undefined;
	const exited = new Promise<Exit>(resolve => {
		child.once('error', () => {
			exitInfo = {code: null, signal: null, ms: performance.now() - started};
			notify();
			resolve(exitInfo);
		});
		child.once('close', (code, signal) => {
			exitInfo = {code, signal, ms: performance.now() - started};
			notify();
			resolve(exitInfo);
		});
	});
	const describe = () => `pid ${String(child.pid)}${exitInfo ? `, exited ${String(exitInfo.code)}${exitInfo.signal ? ` (${exitInfo.signal})` : ''}` : ', running'}\n--- last stdout lines:\n${rawLines.slice(-25).join('\n')}\n--- stderr:\n${stderr.slice(-3000)}`;
	const proc: LongProcess = {
		child,
		pid: child.pid ?? -1,
		lines,
		rawLines,
		stderr: () => stderr,
		async waitForLine(match, what, timeoutMs = WAIT_BUDGET_MS) {
			return new Promise((resolve, reject) => {
				const check = () => {
					const found = lines.find(line => match(line));
					if (found) {
						done();
						resolve(found);
					} else if (exitInfo) {
						done();
						reject(new Error(`the process exited before logging ${what}\n${describe()}`));
					}
				};
				const timer = setTimeout(() => {
					done();
					reject(new Error(`timed out after ${timeoutMs} ms waiting for the log line: ${what}\n${describe()}`));
				}, timeoutMs);
				const done = () => {
					clearTimeout(timer);
					waiters.delete(check);
				};
				waiters.add(check);
				check();
			});
		},
		exited,
		async waitForExit(timeoutMs, what = 'the process to exit') {
			let timer: NodeJS.Timeout | undefined;
			try {
				// `timeoutMs` counts from the process's first output: node's boot is the machine's time, and a loaded
				// CI machine stretches it to seconds (a worker spawned beside `yes` wrote nothing for 10 s). The boot
				// has a budget of its own.
				await Promise.race([booted, exited, new Promise<void>(resolve => (timer = setTimeout(resolve, WAIT_BUDGET_MS)))]);
				clearTimeout(timer);
				return await Promise.race([
					exited,
					new Promise<never>((_, reject) => {
						timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${describe()}`)), timeoutMs);
					}),
				]);
			} finally {
				clearTimeout(timer);
			}
		},
		signal(signal) {
			if (!exitInfo) child.kill(signal);
		},
		describe,
	};
	running.add(proc);
	void exited.then(() => running.delete(proc));
	return proc;
}

/** SIGKILLs every process these helpers started that is still running, and waits for them. */
export async function killAll(): Promise<void> {
	const all = [...running];
	for (const proc of all) proc.signal('SIGKILL');
	await Promise.all(all.map(async proc => proc.exited));
}

process.on('exit', () => {
	for (const proc of running) proc.child.kill('SIGKILL');
});

/** Matchers for the worker's log lines. */
export const line = {
	started: (entry: LogLine) => entry.msg === 'worker started',
	msg: (msg: string) => (entry: LogLine) => entry.msg === msg,
	job: (msg: string, jobId: string) => (entry: LogLine) => entry.msg === msg && entry['jobId'] === jobId,
};

/** One line of the record processor's file. */
export type Execution = {event: 'start' | 'fail' | 'abort' | 'done'; id: string; name: string; queue: string; attempt: number; pid: number; t: number; reason?: string};

/**
 * A test's private world: a temp dir, a unique prefix on the shared test
 * Redis (or another URL), the record file, config files, BullMQ queues to add
 * jobs with, and `cleanup()` that kills the processes and deletes it all.
 */
export type Sandbox = {
	dir: string;
	prefix: string;
	redisUrl: string;
	recordFile: string;
	/** Writes a config JSON into the sandbox; `processors` default to {record: …}. */
	writeConfig(config: object, name?: string): string;
	/** A BullMQ Queue on the sandbox prefix (closed by cleanup). */
	queue(name: string): Queue;
	/** Adds jobs named "record" with data merged with {recordFile}. */
	add(queue: string, data?: object, options?: JobsOptions & {name?: string}): Promise<string>;
	records(): Execution[];
	/** Waits until `count` records match. */
	waitForRecords(match: (record: Execution) => boolean, count: number, what: string, timeoutMs?: number): Promise<Execution[]>;
	/** A plain ioredis client on the sandbox's Redis (closed by cleanup). */
	client(): Redis;
	/** The arguments every worker/scheduler of this sandbox gets. */
	args(config: string): string[];
	worker(config: string, extra?: readonly string[], env?: Record<string, string | undefined>): LongProcess;
	cleanup(): Promise<void>;
};

export function sandbox(redisUrl: string, label = 'rt'): Sandbox {
	const dir = mkdtempSync(path.join(process.env['SACCOS_TEST_TMPDIR'] || os.tmpdir(), `saccos-${label}-`));
	const prefix = `test-${label}-${randomUUID().slice(0, 8)}`;
	const recordFile = path.join(dir, 'records.jsonl');
	const queues = new Map<string, Queue>();
	const clients: Redis[] = [];
	const started: LongProcess[] = [];
	let shared: Redis | undefined;
	const box: Sandbox = {
		dir,
		prefix,
		redisUrl,
		recordFile,
		writeConfig(config, name = `config-${randomUUID().slice(0, 6)}.json`) {
			const file = path.join(dir, name);
			writeFileSync(file, JSON.stringify({processors: {record: processors.record}, ...config}, null, 2));
			return file;
		},
		queue(name) {
			let queue = queues.get(name);
			if (!queue) {
				shared ??= box.client();
				queue = new Queue(name, {connection: shared, prefix});
				queue.on('error', () => {});
				queues.set(name, queue);
			}
			return queue;
		},
		async add(queue, data = {}, options = {}) {
			const {name = 'record', ...jobOptions} = options;
			const job = await box.queue(queue).add(name, {recordFile, ...data}, jobOptions);
			return job.id!;
		},
		records() {
			if (!existsSync(recordFile)) return [];
			return readFileSync(recordFile, 'utf8').split('\n').filter(Boolean).map(text => JSON.parse(text) as Execution);
		},
		async waitForRecords(match, count, what, timeoutMs = WAIT_BUDGET_MS) {
			return waitFor(() => {
				const found = box.records().filter(record => match(record));
				return found.length >= count ? found : undefined;
			}, what, timeoutMs);
		},
		client() {
			const client = new Redis(redisUrl, {maxRetriesPerRequest: null});
			client.on('error', () => {});
			clients.push(client);
			return client;
		},
		args(config) {
			return ['--config', config, '--redis', redisUrl, '--prefix', prefix];
		},
		worker(config, extra = [], env = {}) {
			const proc = startProcess(['worker', ...box.args(config), ...extra], {env: {SACCOS_TEST_RECORD: recordFile, ...env}, cwd: dir});
			started.push(proc);
			return proc;
		},
		async cleanup() {
			for (const proc of started) proc.signal('SIGKILL');
			await Promise.all(started.map(async proc => proc.exited));
			// Bounded: a test that stopped its server must not hold up the run (close waits for Redis).
			await Promise.race([Promise.allSettled([...queues.values()].map(async queue => queue.close())), sleep(3000, undefined, {ref: false})]);
			for (const client of clients) client.disconnect();
			await deletePrefix(redisUrl, prefix).catch(() => undefined);
			rmSync(dir, {recursive: true, force: true});
		},
	};
	return box;
}

/**
 * Asserts that `condition` stays true for `ms` (checked every 50 ms): for
 * properties that are about something NOT happening ("a job added while
 * paused stays waiting"), where the window is the assertion, not a sync.
 */
export async function holdsFor(condition: () => Promise<boolean> | boolean, ms: number, what: string): Promise<void> {
	const until = Date.now() + ms;
	while (Date.now() < until) {
		if (!(await condition())) throw new Error(`no longer true: ${what}`);
		await new Promise(resolve => setTimeout(resolve, 50));
	}
	if (!(await condition())) throw new Error(`no longer true: ${what}`);
}

/** A job's state and BullMQ's view of it, in one call. */
export async function jobView(queue: Queue, id: string) {
	// The state first: once it is final, the hash read next is final too.
	const state = await queue.getJobState(id);
	const job = await queue.getJob(id);
	if (!job) return undefined;
	return {state, attemptsMade: job.attemptsMade, attemptsStarted: job.attemptsStarted, failedReason: job.failedReason, stacktrace: job.stacktrace, processedOn: job.processedOn, finishedOn: job.finishedOn, returnvalue: job.returnvalue as unknown};
}

/**
 * Sandboxes for one describe block: call it in the block's body; after the
 * block every sandbox is cleaned up and every worker it spawned is killed.
 */
export function useSandboxes(redisUrl: string): (label: string, url?: string) => Sandbox {
	const boxes: Sandbox[] = [];
	after(async () => {
		await Promise.all(boxes.map(async box => box.cleanup()));
		await killAll();
	});
	return (label, url = redisUrl) => {
		const box = sandbox(url, label);
		boxes.push(box);
		return box;
	};
}

/** Private redis-servers for a suite (to stop or restart under a worker), stopped after it (after hooks run in order: call this after useSandboxes, so the workers are gone first). */
export function usePrivateServers(): (options?: Parameters<typeof startRedisServer>[0]) => Promise<RedisServer> {
	const servers: RedisServer[] = [];
	after(async () => {
		await Promise.all(servers.map(async server => server.stop()));
	});
	return async options => {
		const server = await startRedisServer(options);
		servers.push(server);
		return server;
	};
}

/** Worker flags for tests: short sleep, lock and stalled interval. */
export const FAST = ['--sleep', '0.2', '--lock-duration', '2000', '--stalled-interval', '1000'];
