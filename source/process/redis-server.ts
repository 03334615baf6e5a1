/**
 * A private redis-server for the demo: a free port on 127.0.0.1, no
 * persistence, a temporary folder; never the user's Redis.
 */
import {spawn, type ChildProcess} from 'node:child_process';
import net from 'node:net';
import {UserError} from '../errors.js';

export type PrivateRedis = {url: string; port: number; stop(): Promise<void>};

async function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = net.createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const {port} = server.address() as net.AddressInfo;
			server.close(() => resolve(port));
		});
	});
}

async function answers(port: number): Promise<boolean> {
	return new Promise(resolve => {
		const socket = net.connect({host: '127.0.0.1', port});
		socket.setTimeout(500, () => {
			socket.destroy();
			resolve(false);
		});
		socket.once('error', () => resolve(false));
		socket.once('connect', () => socket.write('PING\r\n'));
		socket.once('data', data => {
			socket.destroy();
			resolve(String(data).startsWith('+PONG'));
		});
	});
}

/** Starts redis-server and waits until it answers PING (10 s at most). */
export async function startPrivateRedis(dir: string): Promise<PrivateRedis> {
	const port = await freePort();
	const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--loglevel', 'warning'], {stdio: ['ignore', 'ignore', 'pipe']});
	const failed = new Promise<never>((_, reject) => {
		child.once('error', error => {
			reject((error as NodeJS.ErrnoException).code === 'ENOENT'
				? new UserError('redis-unreachable', 'redis-server is not installed', 'install it with `sudo apt-get install redis-server` (Debian/Ubuntu), or pass --redis URL to use a Redis you have')
				: error);
		});
		child.once('exit', code => reject(new UserError('redis-unreachable', `redis-server exited with code ${code} at start`, 'run `redis-server --version` to check the installation')));
	});
	failed.catch(() => {});
	const deadline = Date.now() + 10_000;
	let ready = false;
	while (!ready && Date.now() < deadline) {
		ready = await Promise.race([answers(port), failed]);
		if (!ready) await new Promise(resolve => setTimeout(resolve, 50));
	}
	if (!ready) {
		child.kill('SIGKILL');
		throw new UserError('redis-unreachable', `redis-server did not answer on port ${port} within 10 s`, 'run `redis-server --version` to check the installation');
	}
	const exited = new Promise<void>(resolve => child.once('exit', () => resolve()));
	return {
		url: `redis://127.0.0.1:${port}`,
		port,
		stop: async () => {
			if (child.exitCode !== null || child.signalCode !== null) return;
			child.kill('SIGTERM');
			const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
			await exited;
			clearTimeout(timer);
		},
	};
}
