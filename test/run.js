#!/usr/bin/env node
/**
 * `npm test`: run every *.test.ts / *.test.tsx under test/ with node:test
 * (through tsx) against a real Redis.
 *
 *   node test/run.js [filter ...]   only files whose path contains a filter
 *
 * The Redis: REDIS_URL when set (tests use unique key prefixes and clean up,
 * so a shared Redis is not dirtied), otherwise a private redis-server on a
 * free port of 127.0.0.1 without persistence, stopped afterwards. Never
 * 127.0.0.1:6379 unless REDIS_URL says so. Tests read it from
 * SACCOS_TEST_REDIS_URL (see testRedisUrl() in test/helpers/redis-server.ts;
 * the redis-server flags here are the same as there, keep them in step).
 *
 * The tests run in their own process group, so an interrupt (or a crashed
 * test file) cannot leave redis-server processes behind: the group gets the
 * signal, and is swept once the run is over.
 */
import {spawn} from 'node:child_process';
import {mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const HOST = '127.0.0.1';
const READY_DEADLINE_MS = 10_000;
const STOP_GRACE_MS = 5000;
const NOT_FOUND =
	'redis-server not found: install it with "sudo apt-get install redis-server" (Debian/Ubuntu), or set REDIS_URL to a Redis the tests may use';

/** Every *.test.ts / *.test.tsx under test/, relative to the root, sorted. */
function findTestFiles() {
	const found = [];
	const walk = relativeDir => {
		for (const entry of readdirSync(path.join(root, relativeDir), {withFileTypes: true})) {
			const relative = path.posix.join(relativeDir, entry.name);
			if (entry.isDirectory()) {
				if (entry.name !== 'node_modules') {
					walk(relative);
				}
			} else if (entry.isFile() && /\.test\.tsx?$/.test(entry.name)) {
				found.push(relative);
			}
		}
	};

	walk('test');
	return found.sort((a, b) => (a < b ? -1 : (a > b ? 1 : 0)));
}

async function freePort() {
	for (;;) {
		 
		const port = await new Promise((resolve, reject) => {
			const server = net.createServer();
			server.once('error', reject);
			server.listen(0, HOST, () => {
				const {port} = server.address();
				server.close(() => resolve(port));
			});
		});
		if (port !== 6379) {
			return port;
		}
	}
}

/** One PING over a fresh connection: true when the answer is +PONG. */
async function ping(port) {
	return new Promise(resolve => {
		const socket = net.connect({host: HOST, port});
		let buffer = '';
		const done = ok => {
			socket.destroy();
			resolve(ok);
		};

		socket.setTimeout(1000, () => done(false));
		socket.on('connect', () => socket.write('PING\r\n'));
		socket.on('data', chunk => {
			buffer += chunk.toString('latin1');
			if (buffer.includes('\r\n')) {
				done(buffer.startsWith('+PONG'));
			}
		});
		socket.on('error', () => done(false));
		socket.on('close', () => done(false));
	});
}

class PortInUseError extends Error {}

/** Start redis-server on `port`; resolve once it answers PING. */
async function launchRedis(port, parentDir) {
	const dir = mkdtempSync(path.join(parentDir, 'redis-'));
	const child = spawn('redis-server', [
		'--port', String(port),
		'--bind', HOST,
		'--save', '',
		'--appendonly', 'no',
		'--dir', dir,
		'--daemonize', 'no',
		'--protected-mode', 'no',
		'--loglevel', 'warning',
	], {stdio: ['ignore', 'pipe', 'pipe']});
	let output = '';
	const collect = chunk => {
		output = (output + chunk.toString('utf8')).slice(-8192);
	};

	child.stdout.on('data', collect);
	child.stderr.on('data', collect);
	const removeDir = () => rmSync(dir, {recursive: true, force: true});
	try {
		await new Promise((resolve, reject) => {
			child.once('spawn', resolve);
			child.once('error', reject);
		});
	} catch (error) {
		removeDir();
		throw error;
	}

	let exited = false;
	const exit = new Promise(resolve => {
		child.once('exit', () => {
			exited = true;
			resolve();
		});
	});
	const onExit = () => {
		child.kill('SIGKILL');
		removeDir();
	};

	process.on('exit', onExit);
	const redis = {
		port,
		url: `redis://${HOST}:${port}`,
		async stop() {
			if (!exited) {
				child.kill('SIGTERM');
				const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
				await exit;
				clearTimeout(timer);
			}

			removeDir();
			process.removeListener('exit', onExit);
		},
	};

	const deadline = Date.now() + READY_DEADLINE_MS;
	let delay = 0;
	for (;;) {
		if (exited) {
			await redis.stop();
			const message = `redis-server on ${HOST}:${port} exited during startup:\n${output.trim()}`;
			throw /address already in use/i.test(output) ? new PortInUseError(message) : new Error(message);
		}

		if (await ping(port)) {  
			return redis;
		}

		if (Date.now() > deadline) {
			await redis.stop();
			throw new Error(`redis-server on ${HOST}:${port} did not answer PING within ${READY_DEADLINE_MS / 1000} s:\n${output.trim()}`);
		}

		 
		await new Promise(resolve => {
			if (delay === 0) {
				setImmediate(resolve);
			} else {
				setTimeout(resolve, delay);
			}
		});
		delay = Math.min(Math.max(delay * 2, 5), 100);
	}
}

async function startPrivateRedis(parentDir) {
	for (let attempt = 1; ; attempt++) {
		try {
			return await launchRedis(await freePort(), parentDir);  
		} catch (error) {
			if (!(error instanceof PortInUseError) || attempt >= 5) {
				throw error;
			}
		}
	}
}

/** REDIS_URL without credentials, for the note on stderr. */
function describeUrl(url) {
	try {
		const parsed = new URL(url);
		parsed.username = '';
		parsed.password = '';
		return parsed.toString();
	} catch {
		return '(unparsable URL)';
	}
}

function signalExitCode(signal) {
	return 128 + (os.constants.signals[signal] ?? 1);
}

async function main() {
	const filters = process.argv.slice(2);
	const files = findTestFiles().filter(file => filters.length === 0 || filters.some(filter => file.includes(filter)));
	if (files.length === 0) {
		console.error(filters.length === 0 ? 'no test files under test/' : `no test files match: ${filters.join(' ')}`);
		return 1;
	}

	let interrupted;
	let testChild;
	let forceKill;
	const onSignal = signal => {
		if (interrupted && testChild) {
			// A second interrupt: no more patience.
			killGroup(testChild.pid, 'SIGKILL');
			return;
		}

		interrupted = signal;
		if (testChild) {
			killGroup(testChild.pid, signal);
			forceKill = setTimeout(() => killGroup(testChild.pid, 'SIGKILL'), STOP_GRACE_MS);
		}
	};

	for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
		process.on(signal, onSignal);
	}

	// Scratch space for this run: the private server's --dir, and (through
	// SACCOS_TEST_TMPDIR) the helpers' server directories, so that even a
	// test file killed outright leaves nothing behind.
	const runDir = mkdtempSync(path.join(os.tmpdir(), 'saccos-test-'));
	const removeRunDir = () => rmSync(runDir, {recursive: true, force: true});
	process.on('exit', removeRunDir);

	let redis;
	let url = process.env.REDIS_URL;
	if (url) {
		console.error(`test redis: REDIS_URL ${describeUrl(url)}`);
	} else {
		try {
			redis = await startPrivateRedis(runDir);
		} catch (error) {
			console.error(error.code === 'ENOENT' ? NOT_FOUND : error.message);
			return 1;
		}

		url = redis.url;
		console.error(`test redis: private redis-server on ${HOST}:${redis.port}`);
	}

	let code;
	if (interrupted) {
		code = signalExitCode(interrupted);
	} else {
		// tsx applies tsconfig.json only to the files it includes, which is
		// source/ alone (rootDir); without this, test files would get esbuild's
		// defaults (classic JSX: "React is not defined" in *.test.tsx).
		const tsconfig = path.join(runDir, 'tsconfig.json');
		writeFileSync(tsconfig, JSON.stringify({
			extends: path.join(root, 'tsconfig.json'),
			compilerOptions: {rootDir: root, noEmit: true},
			include: [path.join(root, 'source'), path.join(root, 'test')],
		}));
		const env = {...process.env, SACCOS_TEST_REDIS_URL: url, SACCOS_TEST_TMPDIR: runDir, TSX_TSCONFIG_PATH: tsconfig};
		delete env.FORCE_COLOR;
		delete env.NODE_TEST_CONTEXT; // In case we run under another node:test.
		// Ink reads CI when it is imported and then draws nothing until exit. The console hides
		// these while it loads Ink (source/tui/load.ts); the view tests import Ink directly, so
		// they run without them, as the console does. The tmux tests set CI=true on the binary.
		delete env.CI;
		delete env.CONTINUOUS_INTEGRATION;
		testChild = spawn(process.execPath, [
			'--import', 'tsx',
			'--test',
			'--test-reporter=spec',
			'--enable-source-maps',
			'--test-concurrency=2',
			...files,
		], {cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'], detached: true});
		code = await new Promise(resolve => {
			testChild.once('error', error => {
				console.error(`cannot run node --test: ${error.message}`);
				resolve(1);
			});
			testChild.once('exit', (exitCode, signal) => {
				resolve(exitCode ?? signalExitCode(signal));
			});
		});
		clearTimeout(forceKill);
		await sweepGroup(testChild.pid);
		if (interrupted) {
			code = signalExitCode(interrupted);
		}
	}

	await redis?.stop();
	removeRunDir();
	return code;
}

/** Signal a process group; false when it no longer exists. */
function killGroup(pgid, signal) {
	try {
		process.kill(-pgid, signal);
		return true;
	} catch {
		return false;
	}
}

/**
 * Whatever is left in the tests' process group (say a redis-server whose
 * test file crashed) gets SIGTERM; wait for the group to empty (SIGKILL after
 * the grace period).
 */
async function sweepGroup(pgid) {
	if (!pgid || !killGroup(pgid, 'SIGTERM')) {
		return;
	}

	const deadline = Date.now() + STOP_GRACE_MS;
	let delay = 5;
	while (killGroup(pgid, 0)) {
		if (Date.now() > deadline) {
			killGroup(pgid, 'SIGKILL');
			return;
		}

		await new Promise(resolve => setTimeout(resolve, delay));  
		delay = Math.min(delay * 2, 100);
	}
}

process.exit(await main());
