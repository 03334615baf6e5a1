/**
 * A private redis-server for the benches, and the cleanup that goes with it.
 *
 * Not a bench (no marker, and bench/run.js only looks at bench/*.js): the
 * benches import it. `startRedis()` starts redis-server on 127.0.0.1, a free
 * port (never 6379), no persistence, in a temp dir; `installCleanup(label)`
 * makes sure that servers, the children a bench adds to `live.children` and
 * the temp dirs of `tempDir()` go away on every exit path (normal end, error,
 * SIGINT/SIGTERM/SIGHUP). Nothing is installed at import time, so a bench's
 * child mode can import this module without the signal handlers.
 */
import {spawn} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {Redis} from 'ioredis';

export const HOST = '127.0.0.1';

// ---------------------------------------------------------------------------
// Cleanup: the private redis-servers, in-flight children and temp dirs.

export const live = {servers: new Set(), children: new Set(), dirs: new Set()};

/** Kills what is still running (SIGKILL) and removes the temp dirs; safe to call more than once. */
export function cleanupNow() {
	for (const child of [...live.children, ...live.servers]) {
		if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
	}
	live.children.clear();
	live.servers.clear();
	for (const dir of live.dirs) rmSync(dir, {recursive: true, force: true});
	live.dirs.clear();
}

/**
 * Runs cleanupNow() on exit, and on SIGINT/SIGTERM/SIGHUP prints
 * "<label>: <signal>, stopping redis-server and exiting", cleans up and exits
 * with 128 + the signal number.
 */
export function installCleanup(label) {
	process.on('exit', cleanupNow);
	for (const [signal, number] of [['SIGINT', 2], ['SIGTERM', 15], ['SIGHUP', 1]]) {
		process.on(signal, () => {
			process.stderr.write(`\n${label}: ${signal}, stopping redis-server and exiting\n`);
			cleanupNow();
			process.exit(128 + number);
		});
	}
}

/** A new dir /tmp/saccos-bench-<label>-XXXXXX, removed by cleanupNow(). */
export function tempDir(label) {
	const dir = mkdtempSync(path.join(os.tmpdir(), `saccos-bench-${label}-`));
	live.dirs.add(dir);
	return dir;
}

// ---------------------------------------------------------------------------
// Private redis-server

export async function freePort() {
	for (;;) {
		const port = await new Promise((resolve, reject) => {
			const server = net.createServer();
			server.once('error', reject);
			server.listen(0, HOST, () => {
				const {port} = server.address();
				server.close(() => resolve(port));
			});
		});
		if (port !== 6379) return port;
	}
}

/**
 * Starts redis-server and waits for PONG (up to 10 s; up to 5 ports when one
 * is taken meanwhile). Resolves with {port, dir, child, url, client, version},
 * `client` an ioredis connection to it.
 */
export async function startRedis() {
	for (let attempt = 1; attempt <= 5; attempt++) {
		const port = await freePort();
		const dir = tempDir('redis');
		const child = spawn('redis-server', [
			'--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no', '--dir', dir,
			'--daemonize', 'no', '--protected-mode', 'no', '--loglevel', 'warning',
		], {stdio: ['ignore', 'pipe', 'pipe']});
		let output = '';
		const keep = chunk => {
			output = `${output}${chunk}`.slice(-4096);
		};
		child.stdout.on('data', keep);
		child.stderr.on('data', keep);
		let spawnError;
		child.once('error', error => {
			spawnError = error;
		});
		live.servers.add(child);
		const deadline = Date.now() + 10_000;
		while (Date.now() < deadline) {
			if (spawnError) {
				throw new Error(spawnError.code === 'ENOENT' ? 'redis-server not found: install it (Debian/Ubuntu: apt-get install redis-server)' : `cannot start redis-server: ${spawnError.message}`);
			}
			if (child.exitCode !== null) break;
			const client = new Redis({host: HOST, port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false});
			client.on('error', () => {});
			try {
				await client.connect();
				if ((await client.ping()) === 'PONG') {
					const version = (await client.info('server')).match(/redis_version:(\S+)/)?.[1] ?? 'unknown';
					return {port, dir, child, url: `redis://${HOST}:${port}`, client, version};
				}
			} catch {
				client.disconnect();
			}
			await sleep(50);
		}
		child.kill('SIGKILL');
		live.servers.delete(child);
		if (!/address already in use/i.test(output)) throw new Error(`redis-server did not become ready on port ${port}:\n${output}`);
	}
	throw new Error('redis-server: no free port after 5 attempts');
}

/** Disconnects the client, stops the server (SIGTERM, SIGKILL after 5 s) and removes its dir. */
export async function stopRedis(server) {
	server.client.disconnect();
	const {child} = server;
	if (child.exitCode === null && child.signalCode === null) {
		const exited = new Promise(resolve => child.once('exit', resolve));
		child.kill('SIGTERM');
		const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
		await exited;
		clearTimeout(timer);
	}
	live.servers.delete(child);
	rmSync(server.dir, {recursive: true, force: true});
	live.dirs.delete(server.dir);
}
