/**
 * Real Redis for tests: private `redis-server` processes (single servers and
 * small clusters) on free ports, without persistence, in throw-away
 * directories. Readiness is decided by actually talking to the server, never
 * by sleeping. Every child is killed when the test process exits, so a test
 * that forgets to call stop() neither hangs the file nor leaks a server.
 *
 * The flags used here are repeated in test/run.js (which cannot import
 * TypeScript); keep the two in step.
 */
import {spawn, type ChildProcess} from 'node:child_process';
import {mkdtemp, rm} from 'node:fs/promises';
import {rmSync} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {setImmediate as nextTick, setTimeout as sleep} from 'node:timers/promises';
import {Redis} from 'ioredis';

const HOST = '127.0.0.1';
const READY_DEADLINE_MS = 10_000;
const CLUSTER_DEADLINE_MS = 20_000;
const STOP_GRACE_MS = 5000;
/** Attempts with a fresh port when the port turned out to be taken. */
const PORT_ATTEMPTS = 5;
/** The cluster bus listens on port + 10000, which must be a valid port too. */
const CLUSTER_BUS_OFFSET = 10_000;
const OUTPUT_LIMIT = 8192;

const REDIS_SERVER_NOT_FOUND =
	'redis-server not found: install it with "sudo apt-get install redis-server" (Debian/Ubuntu), or set REDIS_URL to a Redis the tests may use';
const REDIS_CLI_NOT_FOUND =
	'redis-cli not found: install it with "sudo apt-get install redis-tools" (Debian/Ubuntu)';

/** A private redis-server started by startRedisServer(). */
export type RedisServer = {
	readonly host: '127.0.0.1';
	readonly port: number;
	/** redis://[:password@]127.0.0.1:port (the password URL-encoded). */
	readonly url: string;
	readonly password?: string;
	/** SIGTERM, wait for the exit (SIGKILL after 5 s), remove the directory. Idempotent. */
	stop(): Promise<void>;
	/** Send a signal (default SIGKILL) without waiting: for crash tests. Follow with restart() or stop(). */
	kill(signal?: NodeJS.Signals): void;
	/** stop(), then start again on the same port with the same options (an empty dataset): for reconnect tests. */
	restart(): Promise<void>;
};

/** Options for startRedisServer(). */
export type StartRedisServerOptions = {
	/** Require this password (--requirepass); it is also put in `url`. */
	password?: string;
	/** Extra redis-server arguments, appended after the defaults (e.g. ['--maxmemory', '10mb']). */
	args?: string[];
};

/** A private Redis Cluster (masters only) started by startRedisCluster(). */
export type RedisCluster = {
	readonly nodes: Array<{host: string; port: number}>;
	/** redis://127.0.0.1:port for every node, in the order of `nodes`. */
	readonly urls: string[];
	/** Stop every node and remove their directories. Idempotent. */
	stop(): Promise<void>;
};

/** Options for startRedisCluster(). */
export type StartRedisClusterOptions = {
	/** Number of masters (default 3, the minimum redis-cli accepts). */
	masters?: number;
};

/** A running (or just exited) redis-server child. */
type Proc = {
	child: ChildProcess;
	port: number;
	dir: string;
	exited: Promise<void>;
	hasExited(): boolean;
	output(): string;
};

// ---------------------------------------------------------------------------
// Last-resort cleanup: kill every child still alive when this process ends.

const live = new Set<Proc>();
let cleanupInstalled = false;

function killAllNow(): void {
	for (const proc of live) {
		if (!proc.hasExited()) {
			proc.child.kill('SIGKILL');
		}

		rmSync(proc.dir, {recursive: true, force: true});
	}

	live.clear();
}

function onSignal(signal: NodeJS.Signals): void {
	killAllNow();
	process.removeListener(signal, onSignal);
	// Nobody else handles it: die of the signal, as we would have without us.
	if (process.listenerCount(signal) === 0) {
		process.kill(process.pid, signal);
	}
}

function installCleanup(): void {
	if (cleanupInstalled) {
		return;
	}

	cleanupInstalled = true;
	process.on('exit', killAllNow);
	for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
		process.on(signal, onSignal);
	}
}

// ---------------------------------------------------------------------------

/** A TCP port that was free on 127.0.0.1 a moment ago (bind port 0, read it, close). */
export async function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = net.createServer();
		server.unref();
		server.once('error', reject);
		server.listen(0, HOST, () => {
			const address = server.address();
			server.close(() => {
				if (address && typeof address === 'object') {
					resolve(address.port);
				} else {
					reject(new Error('freePort: no port assigned'));
				}
			});
		});
	});
}

/** Whether `port` can be bound on 127.0.0.1 right now. */
async function canListen(port: number): Promise<boolean> {
	return new Promise(resolve => {
		const server = net.createServer();
		server.unref();
		server.once('error', () => {
			resolve(false);
		});
		server.listen(port, HOST, () => {
			server.close(() => {
				resolve(true);
			});
		});
	});
}

/** A free port that is never 6379 (a machine's own Redis may be there). */
async function serverPort(): Promise<number> {
	for (;;) {
		const port = await freePort();
		if (port !== 6379) {
			return port;
		}
	}
}

/** A free port whose cluster bus port (port + 10000) is free and valid too. */
async function clusterPort(): Promise<number> {
	for (let attempt = 0; attempt < 200; attempt++) {
		const port = await serverPort();
		if (port + CLUSTER_BUS_OFFSET <= 65_535 && await canListen(port + CLUSTER_BUS_OFFSET)) {
			return port;
		}
	}

	throw new Error('startRedisCluster: found no port P with P and P+10000 both free');
}

function redisArgs(port: number, dir: string, password: string | undefined, extra: readonly string[]): string[] {
	return [
		'--port', String(port),
		'--bind', HOST,
		'--save', '',
		'--appendonly', 'no',
		'--dir', dir,
		'--daemonize', 'no',
		'--protected-mode', 'no',
		'--loglevel', 'warning',
		...(password === undefined ? [] : ['--requirepass', password]),
		...extra,
	];
}

class PortInUseError extends Error {}

/** Spawn redis-server on `port` and resolve once it answers PING. */
async function launch(port: number, password: string | undefined, extra: readonly string[]): Promise<Proc> {
	// Under the runner's scratch directory when there is one: removed after the run even if we are killed.
	const dir = await mkdtemp(path.join(process.env['SACCOS_TEST_TMPDIR'] || os.tmpdir(), 'saccos-redis-'));
	const child = spawn('redis-server', redisArgs(port, dir, password, extra), {stdio: ['ignore', 'pipe', 'pipe']});

	let output = '';
	const collect = (chunk: Buffer): void => {
		output = (output + chunk.toString('utf8')).slice(-OUTPUT_LIMIT);
	};

	child.stdout!.on('data', collect);
	child.stderr!.on('data', collect);

	try {
		await new Promise<void>((resolve, reject) => {
			child.once('spawn', resolve);
			child.once('error', reject);
		});
	} catch (error) {
		await rm(dir, {recursive: true, force: true});
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
			throw new Error(REDIS_SERVER_NOT_FOUND, {cause: error});
		}

		throw error;
	}

	let exited = false;
	const proc: Proc = {
		child,
		port,
		dir,
		exited: new Promise(resolve => {
			child.once('exit', () => {
				exited = true;
				resolve();
			});
		}),
		hasExited: () => exited,
		output: () => output.trim(),
	};
	installCleanup();
	live.add(proc);
	// A forgotten stop() must not keep the test file alive: the exit hook kills it.
	child.unref();
	(child.stdout as net.Socket).unref();
	(child.stderr as net.Socket).unref();

	try {
		await waitForPong(proc, password);
	} catch (error) {
		await terminate(proc);
		throw error;
	}

	return proc;
}

/** launch() on fresh ports until one is not taken by someone else meanwhile. */
async function launchOnFreePort(pickPort: () => Promise<number>, password: string | undefined, extra: readonly string[]): Promise<Proc> {
	for (let attempt = 1; ; attempt++) {
		const port = await pickPort();
		try {
			return await launch(port, password, extra);
		} catch (error) {
			if (!(error instanceof PortInUseError) || attempt >= PORT_ATTEMPTS) {
				throw error;
			}
		}
	}
}

async function waitForPong(proc: Proc, password: string | undefined): Promise<void> {
	const deadline = Date.now() + READY_DEADLINE_MS;
	let delay = 0;
	let lastError: unknown;
	for (;;) {
		if (proc.hasExited()) {
			const output = proc.output();
			const message = `redis-server on ${HOST}:${proc.port} exited during startup (${describeExit(proc.child)})${output ? `:\n${output}` : ''}`;
			throw /address already in use/i.test(output) ? new PortInUseError(message) : new Error(message);
		}

		const client = new Redis({
			host: HOST,
			port: proc.port,
			password,
			lazyConnect: true,
			enableReadyCheck: false,
			enableOfflineQueue: false,
			maxRetriesPerRequest: 0,
			retryStrategy: () => null,
			connectTimeout: 1000,
		});
		client.on('error', () => {/* reported through the rejected promises */});
		try {
			await client.connect();
			if (await client.ping() === 'PONG') {
				return;
			}
		} catch (error) {
			lastError = error;
		} finally {
			client.disconnect();
		}

		if (Date.now() > deadline) {
			const output = proc.output();
			throw new Error(`redis-server on ${HOST}:${proc.port} did not answer PING within ${READY_DEADLINE_MS / 1000} s (${String((lastError as Error | undefined)?.message ?? lastError)})${output ? `:\n${output}` : ''}`);
		}

		await (delay === 0 ? nextTick() : sleep(delay));
		delay = Math.min(Math.max(delay * 2, 5), 100);
	}
}

function describeExit(child: ChildProcess): string {
	return child.signalCode ? `signal ${child.signalCode}` : `exit code ${String(child.exitCode)}`;
}

/** SIGTERM, await the exit (SIGKILL after the grace period), remove the directory. */
async function terminate(proc: Proc): Promise<void> {
	if (!proc.hasExited()) {
		proc.child.kill('SIGTERM');
		const timer = setTimeout(() => {
			proc.child.kill('SIGKILL');
		}, STOP_GRACE_MS);
		await proc.exited;
		clearTimeout(timer);
	}

	await rm(proc.dir, {recursive: true, force: true});
	live.delete(proc);
}

function redisUrl(port: number, password?: string): string {
	return password === undefined
		? `redis://${HOST}:${port}`
		: `redis://:${encodeURIComponent(password)}@${HOST}:${port}`;
}

/**
 * Start a private redis-server on a free port of 127.0.0.1: no persistence,
 * a temporary --dir, optionally --requirepass. Resolves once it answers PING
 * (deadline 10 s; the error then carries the server's output). Throws a
 * one-line "redis-server not found: ..." error when it is not installed.
 */
export async function startRedisServer(options: StartRedisServerOptions = {}): Promise<RedisServer> {
	const {password} = options;
	const extra = [...(options.args ?? [])];
	let proc = await launchOnFreePort(serverPort, password, extra);
	const {port} = proc;
	let stopping: Promise<void> | undefined;

	const server: RedisServer = {
		host: HOST,
		port,
		url: redisUrl(port, password),
		...(password === undefined ? {} : {password}),
		async stop() {
			stopping ??= terminate(proc);
			await stopping;
		},
		kill(signal: NodeJS.Signals = 'SIGKILL') {
			if (!proc.hasExited()) {
				proc.child.kill(signal);
			}
		},
		async restart() {
			await server.stop();
			proc = await launch(port, password, extra);
			stopping = undefined;
		},
	};
	return server;
}

/** Run redis-cli to completion; reject with its output when it fails. */
async function redisCli(args: readonly string[]): Promise<void> {
	const child = spawn('redis-cli', args, {stdio: ['ignore', 'pipe', 'pipe']});
	let output = '';
	const collect = (chunk: Buffer): void => {
		output = (output + chunk.toString('utf8')).slice(-OUTPUT_LIMIT);
	};

	child.stdout.on('data', collect);
	child.stderr.on('data', collect);
	await new Promise<void>((resolve, reject) => {
		child.once('error', (error: NodeJS.ErrnoException) => {
			reject(error.code === 'ENOENT' ? new Error(REDIS_CLI_NOT_FOUND) : error);
		});
		child.once('close', (code, signal) => {
			if (code === 0) {
				resolve();
			} else {
				reject(new Error(`redis-cli ${args.join(' ')} failed (${signal ? `signal ${signal}` : `exit code ${String(code)}`}):\n${output.trim()}`));
			}
		});
	});
}

/** Poll CLUSTER INFO on every node until all say cluster_state:ok and know every node. */
async function waitForClusterOk(ports: readonly number[]): Promise<void> {
	const clients = ports.map(port => {
		const client = new Redis({host: HOST, port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000});
		client.on('error', () => {/* reported through the rejected promises */});
		return client;
	});
	try {
		const deadline = Date.now() + CLUSTER_DEADLINE_MS;
		let delay = 0;
		let last = '';
		for (;;) {
			const infos = await Promise.all(clients.map(async client => client.cluster('INFO') as Promise<string>));
			const notReady = infos.findIndex(info =>
				!/^cluster_state:ok\r?$/m.test(info) || !new RegExp(`^cluster_known_nodes:${ports.length}\\r?$`, 'm').test(info));
			if (notReady === -1) {
				return;
			}

			last = `${HOST}:${ports[notReady]!}\n${infos[notReady]!.trim()}`;
			if (Date.now() > deadline) {
				throw new Error(`Redis cluster not ok within ${CLUSTER_DEADLINE_MS / 1000} s; CLUSTER INFO of ${last}`);
			}

			await (delay === 0 ? nextTick() : sleep(delay));
			delay = Math.min(Math.max(delay * 2, 5), 100);
		}
	} finally {
		for (const client of clients) {
			client.disconnect();
		}
	}
}

/**
 * Start a private Redis Cluster of `masters` (default 3) master-only nodes on
 * 127.0.0.1, create it with `redis-cli --cluster create`, and resolve once
 * every node reports cluster_state:ok (deadline 20 s).
 */
export async function startRedisCluster(options: StartRedisClusterOptions = {}): Promise<RedisCluster> {
	const masters = options.masters ?? 3;
	const extra = ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '5000'];
	const started = await Promise.allSettled(
		Array.from({length: masters}, async () => launchOnFreePort(clusterPort, undefined, extra)));
	const procs = started.flatMap(result => result.status === 'fulfilled' ? [result.value] : []);
	let stopping: Promise<void> | undefined;
	const stop = async (): Promise<void> => {
		stopping ??= Promise.all(procs.map(async proc => terminate(proc))).then(() => undefined);
		await stopping;
	};

	try {
		const failed = started.find(result => result.status === 'rejected');
		if (failed) {
			throw failed.reason;
		}

		const ports = procs.map(proc => proc.port);
		await redisCli(['--cluster', 'create', ...ports.map(port => `${HOST}:${port}`), '--cluster-replicas', '0', '--cluster-yes']);
		await waitForClusterOk(ports);
		return {
			nodes: ports.map(port => ({host: HOST, port})),
			urls: ports.map(port => redisUrl(port)),
			stop,
		};
	} catch (error) {
		await stop();
		throw error;
	}
}

/**
 * The Redis the test runner provides (SACCOS_TEST_REDIS_URL, set by
 * test/run.js from REDIS_URL or a private server). Use unique key prefixes
 * and clean up: it may be shared.
 */
export function testRedisUrl(): string {
	const url = process.env['SACCOS_TEST_REDIS_URL'];
	if (!url) {
		throw new Error('SACCOS_TEST_REDIS_URL is not set: run the tests through the runner ("npm test" or "node test/run.js")');
	}

	return url;
}
