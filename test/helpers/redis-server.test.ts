import {test} from 'node:test';
import assert from 'node:assert/strict';
import {mkdtemp, rm} from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {Redis, Cluster} from 'ioredis';
import {freePort, startRedisCluster, startRedisServer, testRedisUrl} from './redis-server.js';

/** Send one inline command over a raw socket and return the first reply line. */
async function rawCommand(port: number, command: string): Promise<string> {
	return new Promise((resolve, reject) => {
		const socket = net.connect({host: '127.0.0.1', port});
		let buffer = '';
		socket.setTimeout(2000, () => {
			socket.destroy();
			reject(new Error(`no reply from 127.0.0.1:${port}`));
		});
		socket.on('connect', () => socket.write(`${command}\r\n`));
		socket.on('data', chunk => {
			buffer += chunk.toString('utf8');
			const end = buffer.indexOf('\r\n');
			if (end !== -1) {
				socket.destroy();
				resolve(buffer.slice(0, end));
			}
		});
		socket.on('error', reject);
	});
}

/** Resolve with the connection error code for 127.0.0.1:port (or 'connected'). */
async function connectOutcome(port: number): Promise<string> {
	return new Promise(resolve => {
		const socket = net.connect({host: '127.0.0.1', port});
		socket.on('connect', () => {
			socket.destroy();
			resolve('connected');
		});
		socket.on('error', (error: NodeJS.ErrnoException) => {
			resolve(error.code ?? error.message);
		});
	});
}

test('freePort returns a port that can be bound', async () => {
	const port = await freePort();
	assert.ok(port > 0 && port < 65_536);
	assert.notEqual(port, 6379);
	const server = net.createServer();
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(port, '127.0.0.1', resolve);
	});
	await new Promise(resolve => server.close(resolve));
});

test('testRedisUrl is the Redis the runner provides, and it answers', async () => {
	const url = testRedisUrl();
	assert.match(url, /^rediss?:\/\//);
	const client = new Redis(url, {lazyConnect: true, maxRetriesPerRequest: 1});
	try {
		await client.connect();
		assert.equal(await client.ping(), 'PONG');
	} finally {
		client.disconnect();
	}
});

test('a password-protected server refuses NOAUTH and accepts the password', async () => {
	const password = `pw-${process.pid}-${Date.now()} with space`;
	const server = await startRedisServer({password});
	try {
		assert.equal(server.host, '127.0.0.1');
		assert.equal(server.password, password);
		assert.equal(server.url, `redis://:${encodeURIComponent(password)}@127.0.0.1:${server.port}`);
		assert.match(await rawCommand(server.port, 'PING'), /^-NOAUTH\b/);

		assert.match(await rawCommand(server.port, 'AUTH wrong'), /^-(WRONGPASS|ERR invalid password)/);

		const right = new Redis(server.url, {lazyConnect: true, retryStrategy: () => null});
		try {
			await right.connect();
			assert.equal(await right.ping(), 'PONG');
		} finally {
			right.disconnect();
		}
	} finally {
		await server.stop();
	}
});

test('stop() leaves nothing listening; stop() is idempotent', async () => {
	const server = await startRedisServer();
	assert.equal(server.url, `redis://127.0.0.1:${server.port}`);
	assert.equal(server.password, undefined);
	assert.equal(await rawCommand(server.port, 'PING'), '+PONG');
	await server.stop();
	assert.equal(await connectOutcome(server.port), 'ECONNREFUSED');
	await server.stop();
});

test('kill() crashes the server; restart() brings it back on the same port with the same options', async () => {
	const server = await startRedisServer({password: 'secret', args: ['--maxmemory', '12mb']});
	try {
		const {port, url} = server;
		server.kill();
		await server.restart();
		assert.equal(server.port, port);
		assert.equal(server.url, url);
		assert.match(await rawCommand(port, 'PING'), /^-NOAUTH\b/);
		const client = new Redis(url, {lazyConnect: true, retryStrategy: () => null});
		try {
			await client.connect();
			assert.deepEqual(await client.config('GET', 'maxmemory'), ['maxmemory', String(12 * 1024 * 1024)]);
		} finally {
			client.disconnect();
		}
	} finally {
		await server.stop();
	}
});

test('a missing redis-server gives the one-line install hint', async () => {
	const empty = await mkdtemp(path.join(os.tmpdir(), 'saccos-empty-path-'));
	const savedPath = process.env['PATH'];
	process.env['PATH'] = empty;
	try {
		await assert.rejects(startRedisServer(), {
			message: 'redis-server not found: install it with "sudo apt-get install redis-server" (Debian/Ubuntu), or set REDIS_URL to a Redis the tests may use',
		});
	} finally {
		process.env['PATH'] = savedPath;
		await rm(empty, {recursive: true, force: true});
	}
});

test('startRedisCluster: 3 masters, hash-tagged keys work through a Cluster client', async () => {
	const cluster = await startRedisCluster();
	try {
		assert.equal(cluster.nodes.length, 3);
		assert.deepEqual(cluster.urls, cluster.nodes.map(node => `redis://127.0.0.1:${node.port}`));

		const first = new Redis({...cluster.nodes[0]!, lazyConnect: true, retryStrategy: () => null});
		try {
			await first.connect();
			const nodes = (await first.cluster('NODES') as string).trim().split('\n');
			assert.equal(nodes.filter(line => / master /.test(` ${line.split(' ')[2]!.replaceAll(',', ' ')} `)).length, 3);
		} finally {
			first.disconnect();
		}

		const client = new Cluster(cluster.nodes, {clusterRetryStrategy: () => null});
		client.on('error', () => {/* surfaced by the commands */});
		try {
			const tag = `{saccos-test-${process.pid}}`;
			// Same hash tag, same slot: a MULTI over both keys is allowed.
			await client.multi().set(`${tag}:a`, '1').set(`${tag}:b`, '2').exec();
			assert.deepEqual(await client.mget(`${tag}:a`, `${tag}:b`), ['1', '2']);
		} finally {
			await client.quit();
		}
	} finally {
		await cluster.stop();
	}

	for (const node of cluster.nodes) {
		assert.equal(await connectOutcome(node.port), 'ECONNREFUSED');
	}
});
