/**
 * `demo`: the whole product on a private Redis — redis-server on a free
 * port, the supervisor with the four seed workers and the scheduler, the
 * example SACCOS processors, and traffic with realistic failures — then the
 * console over all of it (without a terminal: a status table every 2 s). On
 * quit everything it started stops.
 */
import {randomBytes} from 'node:crypto';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {numberFlag, stringFlag, type CommandSpec, type Context} from '../command.js';
import {loadConfig, type Config} from '../config.js';
import {UserError, fileError} from '../errors.js';
import type {Connection} from '../data/connection.js';
import {atMost} from '../util/bounded.js';
import {onSignals} from '../util/signals.js';

export const spec: CommandSpec = {
	name: 'demo',
	summary: 'A private Redis, the four seed workers, the scheduler and SACCOS-like traffic, shown live.',
	usage: ['demo [--duration S] [--redis URL]'],
	options: {
		duration: {type: 'string', value: 'S', description: 'stop by itself after S seconds (default: until q or Ctrl-C)'},
	},
};

const examples = fileURLToPath(new URL('../../examples/jobs/', import.meta.url));

function demoConfig(url: string, dir: string, prefix: string): object {
	const job = (name: string) => path.join(examples, name);
	return {
		redis: url,
		prefix,
		queues: {
			high: {timeout: 90, tries: 3},
			default: {timeout: 90, tries: 3, isolation: 'process'},
			emails: {timeout: 60, tries: 3, backoff: {type: 'fixed', delay: 2000}},
			notifications: {timeout: 5, tries: 3, backoff: {type: 'exponential', delay: 1000}, limiter: {max: 20, duration: 1000}},
		},
		processors: {
			'reports:generate-scheduled': job('generate-report.js'),
			'reports:generate-daily': job('generate-report.js'),
			'reports:generate-weekly': job('generate-report.js'),
			'reports:generate-monthly': job('generate-report.js'),
			'email.send': job('send-email.js'),
			'sms.send': job('send-sms.js'),
			'approval.processed': job('approval-processed.js'),
			'loan.approved': job('loan-approved.js'),
		},
		monitor: {default: 100, high: 50, emails: 100, notifications: 100},
		processes: 'local',
		stateDir: path.join(dir, 'state'),
	};
}

/** Deletes the keys matching `pattern` on every master, in batches (SCAN, then UNLINK). */
async function deleteKeys(connection: Connection, pattern: string): Promise<void> {
	for (const node of connection.nodes()) {
		let cursor = '0';
		do {
			const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
			cursor = next;
			if (keys.length > 0) await node.unlink(...keys);
		} while (cursor !== '0');
	}
}

/** After a hang-up: the terminal is gone, so output goes nowhere instead of failing. */
function muteTerminal(): void {
	for (const stream of [process.stdout, process.stderr]) {
		stream.on('error', () => {});
		stream.write = ((_chunk: unknown, encoding?: unknown, callback?: unknown) => {
			const done = typeof encoding === 'function' ? encoding : callback;
			if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
			return true;
		}) as typeof stream.write;
	}
	process.stdin.on('error', () => {});
}

/** A file operation of the demo's own: a full or read-only temporary folder is exit 74 naming it (TMPDIR moves it). */
function localFile<T>(work: () => T, doing: string, file: string): T {
	try {
		return work();
	} catch (error) {
		const failure = fileError(error, doing, file);
		if (failure instanceof UserError) throw new UserError('io', failure.message, `${failure.hint}; TMPDIR sets where the demo keeps its files`, {cause: error});
		throw failure;
	}
}

/** What the demo runs on, imported once it runs (a cron `status` loads none of it). */
async function loadParts() {
	const [{startPrivateRedis}, {Supervisor}, {defaultServices}, {runTraffic}, {connect}, {takeSnapshot}, {renderTable}, rows] = await Promise.all([
		import('../process/redis-server.js'),
		import('../process/local-supervisor.js'),
		import('../process/services.js'),
		import('../runtime/traffic.js'),
		import('../data/connection.js'),
		import('../data/snapshot.js'),
		import('../output/table.js'),
		import('../present/queue-rows.js'),
	]);
	return {startPrivateRedis, Supervisor, defaultServices, runTraffic, connect, takeSnapshot, renderTable, rows};
}

type Parts = Awaited<ReturnType<typeof loadParts>>;
/** What the demo has started, stopped last first on the way out. */
type Cleanups = Array<() => Promise<void>>;
type Supervisor = InstanceType<Parts['Supervisor']>;

/**
 * How the demo ends. SIGTERM and SIGINT from the start, also while it is still starting
 * things: each ends it through the same clean-up (their default action would leave its
 * redis-server behind). A hang-up (the SSH session dropped) must not kill it before it has
 * stopped what it started: absorbed until a stage says what it does (`onHangUp`).
 */
function demoSignals() {
	const ended = new AbortController();
	const end = () => ended.abort();
	let hangUp = () => {};
	const dispose = onSignals(signal => (signal === 'SIGHUP' ? hangUp() : end()), {signals: ['SIGTERM', 'SIGINT', 'SIGHUP']});
	return {
		ended: ended.signal,
		end,
		/** What a hang-up does from now on (nothing: absorbed). */
		onHangUp: (then: () => void) => {
			hangUp = then;
		},
		dispose,
	};
}

type DemoSignals = ReturnType<typeof demoSignals>;

/**
 * The Redis the demo runs on: a private redis-server, or, with --redis, a Redis of yours where
 * the demo keeps to a prefix of its own, deleted afterwards — its workers must never take your
 * real jobs, nor its traffic land in your queues.
 */
async function startRedis(parts: Parts, yours: string | undefined, dir: string, cleanups: Cleanups): Promise<{url: string; prefix: string}> {
	if (!yours) {
		const redis = await parts.startPrivateRedis(dir);
		cleanups.push(redis.stop);
		return {url: redis.url, prefix: 'bull'};
	}
	const prefix = `saccos-demo-${randomBytes(4).toString('hex')}`;
	cleanups.push(async () => {
		const connection = await parts.connect(await loadConfig({redis: yours, prefix}, {}), 'command');
		try {
			await deleteKeys(connection, `${prefix}:*`);
		} finally {
			await connection.close();
		}
	});
	return {url: yours, prefix};
}

/** The demo's config file, and the supervisor running the seed workers and the scheduler on it. */
async function startServices(parts: Parts, url: string, prefix: string, dir: string, cleanups: Cleanups): Promise<{config: Config; file: string; supervisor: Supervisor}> {
	const file = path.join(dir, 'saccos-queue.config.json');
	localFile(() => writeFileSync(file, JSON.stringify(demoConfig(url, dir, prefix), null, 2)), 'write', file);
	const config = await loadConfig({config: file, redis: url}, {});
	const supervisor = new parts.Supervisor({
		services: parts.defaultServices(config),
		dir: config.stateDir,
		childArgs: ['--config', file],
		env: {SACCOS_QUEUE_OUTBOX: path.join(dir, 'outbox'), SACCOS_QUEUE_STATE_DIR: config.stateDir},
	});
	cleanups.push(async () => supervisor.shutdown());
	await supervisor.start();
	return {config, file, supervisor};
}

/** SACCOS-like traffic until the clean-up stops it. */
function startTraffic(parts: Parts, connection: Connection, config: Config, cleanups: Cleanups): void {
	const stop = new AbortController();
	const traffic = parts.runTraffic(connection, config, stop.signal);
	cleanups.push(async () => {
		stop.abort();
		await traffic;
	});
}

type Running = {context: Context; parts: Parts; url: string; config: Config; file: string; connection: Connection; supervisor: Supervisor; duration: number | undefined; signals: DemoSignals};

/** On a terminal the demo is the console over the demo's Redis and processes, until q, a signal or --duration. */
async function showConsole({context, url, config, file, connection, duration, signals}: Running): Promise<void> {
	context.note(`demo: Redis ${url}, workers for ${config.queueOrder.join(', ')} and the scheduler under ${config.stateDir}; opening the console (q quits and stops them all)`);
	const [{createConsoleApi}, {openConsole}, {openController}] = await Promise.all([import('../store/console-api.js'), import('../tui/load.js'), import('../process/controller.js')]);
	// SIGHUP: the terminal went away (an SSH session dropped). Writing to it now fails
	// (EIO), which must not cut the clean-up short: stop drawing, then stop everything.
	signals.onHangUp(() => {
		signals.onHangUp(() => {});
		muteTerminal();
		signals.end();
	});
	if (duration !== undefined) setTimeout(signals.end, duration * 1000).unref();
	try {
		if (!signals.ended.aborted) await openConsole(createConsoleApi({connection, config, openController: async () => openController(config, ['--config', file])}), {view: 'queues'}, signals.ended);
	} finally {
		signals.onHangUp(() => {});
	}
}

/** Without a terminal (or with --json): the queues and services every 2 s (every second on a terminal), until a signal or --duration. */
async function showStatus(running: Running, interactive: boolean): Promise<void> {
	const {context, url, config, duration, signals} = running;
	const quit = new Promise<void>(resolve => {
		if (signals.ended.aborted) resolve();
		signals.ended.addEventListener('abort', () => resolve(), {once: true});
		signals.onHangUp(resolve);
		if (duration !== undefined) setTimeout(resolve, duration * 1000).unref();
	});
	context.note(`demo: Redis ${url}, workers for ${config.queueOrder.join(', ')} and the scheduler under ${config.stateDir}${interactive ? ' — q to quit' : ''}`);
	let finished = false;
	void quit.then(() => {
		finished = true;
	});
	while (!finished) {
		await drawStatus(running, interactive).catch(error => context.note(`refresh failed: ${(error as Error).message}`));
		await Promise.race([quit, new Promise(resolve => setTimeout(resolve, interactive ? 1000 : 2000))]);
	}
}

async function drawStatus({context, parts, config, connection, supervisor}: Running, interactive: boolean): Promise<void> {
	const {takeSnapshot, renderTable, rows} = parts;
	const snapshot = await takeSnapshot(connection, config, config.queueOrder);
	const services = supervisor.status();
	const text = [
		`saccos-queue demo · ${rows.redisLine(snapshot)} · ${new Date().toLocaleTimeString()}`,
		'',
		renderTable(rows.queueHead, snapshot.queues.map(rows.queueRow)),
		'',
		renderTable(['SERVICE', 'STATE', 'PID', 'RESTARTS'], services.map(service => [service.name, service.state, service.pid ?? '-', service.restarts])),
		'',
		interactive ? 'q quit' : '',
	].join('\n');
	if (interactive) process.stdout.write(`\u001B[H\u001B[2J${text}\n`);
	else if (context.json) process.stdout.write(`${JSON.stringify({queues: snapshot.queues, services})}\n`);
	else context.out(`${text}\n`);
}

export async function run(context: Context): Promise<number> {
	const duration = context.flags['duration'] === undefined ? undefined : numberFlag(context.flags, 'duration', 60, 1, 86_400);
	const dir = localFile(() => mkdtempSync(path.join(os.tmpdir(), 'saccos-queue-demo-')), 'create a folder in', os.tmpdir());
	const cleanups: Cleanups = [async () => rmSync(dir, {recursive: true, force: true})];
	const signals = demoSignals();
	const interactive = process.stdout.isTTY === true && !context.json;
	// The console opens in this process: its heap stays small, and its code on baseline, from here on.
	if (interactive && process.stdin.isTTY) (await import('../tui/console-tier.js')).tuneConsoleV8();
	try {
		const parts = await loadParts();
		const {url, prefix} = await startRedis(parts, stringFlag(context.flags, 'redis'), dir, cleanups);
		const {config, file, supervisor} = await startServices(parts, url, prefix, dir, cleanups);
		if (signals.ended.aborted) return 0;
		const connection = await parts.connect(config, 'console');
		cleanups.push(connection.close);
		startTraffic(parts, connection, config, cleanups);
		const running: Running = {context, parts, url, config, file, connection, supervisor, duration, signals};
		if (interactive && process.stdin.isTTY) await showConsole(running);
		else await showStatus(running, interactive);
		context.note('demo: stopping workers, scheduler and Redis…');
		return 0;
	} finally {
		// Each step is bounded: with the demo's redis-server gone, closing a connection would wait for ever.
		for (const step of cleanups.reverse()) await atMost(step(), 15_000);
		signals.dispose();
	}
}
