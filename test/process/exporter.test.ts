/**
 * `saccos-queue exporter` as a process, over real HTTP, on a private Redis:
 * GET and HEAD /metrics with Prometheus' content type, 404 elsewhere, 405 for
 * other methods; scrapes that arrive together share one read of Redis; Redis
 * down (or a wrong password) is a 503 with one line that names no secret,
 * and the exporter keeps running and answers again when Redis is back;
 * SIGTERM and SIGINT stop it at once, keep-alive connections included; a
 * bad --listen or a port in use is exit 2 with a hint.
 */
import {after, before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import {Redis} from 'ioredis';
import {describeResult, runCli} from '../helpers/cli.js';
import {commandCalls, waitFor} from '../helpers/keyspace.js';
import {NO_PROMTOOL, parseExposition, promtool, sampleOf} from '../helpers/prometheus.js';
import type {RedisServer} from '../helpers/redis-server.js';
import {startProcess, usePrivateServers, useSandboxes, type LongProcess, type Sandbox} from '../helpers/worker-process.js';

type Reply = {status: number; headers: http.IncomingHttpHeaders; body: string};

/** One HTTP request to the exporter (a fresh connection unless an agent is given). */
async function request(url: string, options: {method?: string; agent?: http.Agent; path?: string} = {}): Promise<Reply> {
	const target = new URL(options.path ?? '/metrics', url);
	return new Promise((resolve, reject) => {
		const outgoing = http.request(target, {method: options.method ?? 'GET', agent: options.agent ?? false}, response => {
			const chunks: Buffer[] = [];
			response.on('data', (chunk: Buffer) => chunks.push(chunk));
			response.on('end', () => resolve({status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8')}));
			response.on('error', reject);
		});
		outgoing.on('error', reject);
		outgoing.end();
	});
}

/** Starts the exporter on a free port; resolves with it and its URL once it serves. */
async function startExporter(box: Sandbox, config: string, redisUrl = box.redisUrl, extra: string[] = []): Promise<{exporter: LongProcess; url: string}> {
	const exporter = startProcess(['exporter', '--listen', '127.0.0.1:0', '--json', '--config', config, '--redis', redisUrl, '--prefix', box.prefix, ...extra], {cwd: box.dir});
	const line = await exporter.waitForLine(entry => /^serving http:/.test(String(entry.msg)), 'the exporter to serve');
	const url = /(http:\/\/\S+)\/metrics/.exec(String(line.msg))![1]!;
	return {exporter, url};
}

describe('exporter', () => {
	const open = useSandboxes('');
	const privateServer = usePrivateServers();
	let server: RedisServer;
	let box: Sandbox;
	let admin: Redis;
	let config: string;

	before(async () => {
		server = await privateServer();
		box = open('exporter', server.url);
		admin = box.client();
		config = box.writeConfig({queues: {emails: {timeout: 30}}}, 'config.json');
		await box.queue('emails').add('send', {});
	});
	after(() => admin?.disconnect());

	it('GET /metrics: 200, Prometheus\' content type, the text format (promtool agrees); HEAD: the headers alone', async () => {
		const {exporter, url} = await startExporter(box, config);
		const reply = await request(url);
		assert.equal(reply.status, 200, reply.body);
		assert.equal(reply.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
		assert.equal(Number(reply.headers['content-length']), Buffer.byteLength(reply.body));
		const {samples} = parseExposition(reply.body);
		assert.equal(sampleOf(samples, 'saccos_queue_jobs', {queue: 'emails', state: 'waiting'}), 1);
		if (!NO_PROMTOOL) {
			const checked = promtool(['check', 'metrics'], reply.body);
			assert.equal(checked.code, 0, checked.output);
		}
		const head = await request(url, {method: 'HEAD'});
		assert.equal(head.status, 200);
		assert.equal(head.body, '');
		assert.equal(head.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
		exporter.signal('SIGTERM');
		assert.equal((await exporter.waitForExit(5000)).code, 0, exporter.describe());
	});

	it('404 for any other path, 405 (Allow: GET, HEAD) for any other method; nothing is written to Redis', async () => {
		const {exporter, url} = await startExporter(box, config);
		await request(url);
		const keys = await admin.dbsize();
		for (const path of ['/', '/metrics/', '/metricsx', '/favicon.ico', '/../metrics', '/api/v1/query']) {
			const reply = await request(url, {path});
			// "/../metrics" is normalized to "/metrics" by URL: it is the metrics.
			if (path === '/../metrics') assert.equal(reply.status, 200);
			else assert.equal(reply.status, 404, `${path}: ${reply.status}`);
		}
		assert.equal((await request(url, {path: '/metrics?name[]=x'})).status, 200, 'a query string is ignored');
		for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
			const reply = await request(url, {method});
			assert.equal(reply.status, 405, `${method}: ${reply.status}`);
			assert.equal(reply.headers['allow'], 'GET, HEAD');
		}
		assert.equal(await admin.dbsize(), keys, 'a key was written');
		exporter.signal('SIGTERM');
		assert.equal((await exporter.waitForExit(5000)).code, 0, exporter.describe());
	});

	it('scrapes that arrive while one reads share its read: one set of Redis commands, one answer', async () => {
		const {exporter, url} = await startExporter(box, config);
		await request(url); // connected
		const before = await commandCalls(admin);
		await request(url);
		const one = (await commandCalls(admin)) - before - 1;
		const start = await commandCalls(admin);
		// Redis holds every client's commands for 1.5 s: the first scrape's read waits, the others arrive meanwhile.
		await admin.client('PAUSE', 1500, 'ALL');
		const replies = await Promise.all(Array.from({length: 20}, async () => request(url)));
		// Less INFO and CLIENT PAUSE.
		const twenty = (await commandCalls(admin)) - start - 2;
		assert.ok(replies.every(reply => reply.status === 200), replies.map(reply => reply.status).join(','));
		assert.equal(new Set(replies.map(reply => reply.body)).size, 1, 'the 20 answers differ: more than one read');
		assert.equal(twenty, one, `20 concurrent scrapes ran ${twenty} commands, one scrape ${one}`);
		exporter.signal('SIGTERM');
		assert.equal((await exporter.waitForExit(5000)).code, 0, exporter.describe());
	});

	it('Redis down: 503 with one line naming no secret, the exporter runs on and answers 200 once Redis is back', async () => {
		const secured = await privateServer({password: 'Sekr3t-Pa55'});
		const securedBox = open('exporter-pw', secured.url);
		const securedConfig = securedBox.writeConfig({queues: {emails: {timeout: 30}}}, 'config.json');
		const {exporter, url} = await startExporter(securedBox, securedConfig);
		assert.equal((await request(url)).status, 200);
		secured.kill('SIGKILL');
		const down = await request(url);
		assert.equal(down.status, 503, down.body);
		assert.match(down.body, /^redis-[a-z]+: [^\n]+\n$/, down.body);
		assert.equal(down.headers['content-type'], 'text/plain; charset=utf-8');
		await secured.restart();
		await waitFor(async () => (await request(url)).status === 200, 'a 200 once Redis is back', 20_000);
		const everything = `${down.body}${exporter.rawLines.join('\n')}${exporter.stderr()}`;
		assert.doesNotMatch(everything, /Sekr3t-Pa55/, 'the password reached the output');
		assert.ok(exporter.lines.some(line => /^scrape failed \(answered 503\)/.test(String(line.msg))), exporter.describe());
		assert.ok(exporter.lines.some(line => /can be read again/.test(String(line.msg))), exporter.describe());
		exporter.signal('SIGTERM');
		assert.equal((await exporter.waitForExit(5000)).code, 0, exporter.describe());
	});

	it('a wrong password, or no Redis at start: the exporter starts and answers 503 saying why, without the password', async () => {
		const secured = await privateServer({password: 'R1ght-Pa55'});
		const {exporter, url} = await startExporter(box, config, secured.url.replace('R1ght-Pa55', 'Wr0ng-Pa55'));
		const reply = await request(url);
		assert.equal(reply.status, 503, reply.body);
		assert.match(reply.body, /^redis-auth: [^\n]+\n$/, reply.body);
		assert.doesNotMatch(`${reply.body}${exporter.rawLines.join('\n')}${exporter.stderr()}`, /Wr0ng-Pa55|R1ght-Pa55/);
		exporter.signal('SIGINT');
		assert.equal((await exporter.waitForExit(5000)).code, 0, exporter.describe());
		const port = await new Promise<number>(resolve => {
			const probe = net.createServer().listen(0, '127.0.0.1', () => {
				const {port: free} = probe.address() as net.AddressInfo;
				probe.close(() => resolve(free));
			});
		});
		const nowhere = await startExporter(box, config, `redis://127.0.0.1:${port}`);
		const none = await request(nowhere.url);
		assert.equal(none.status, 503);
		assert.match(none.body, /^redis-unreachable: /);
		nowhere.exporter.signal('SIGTERM');
		assert.equal((await nowhere.exporter.waitForExit(5000)).code, 0, nowhere.exporter.describe());
	});

	it('SIGTERM stops it at once, a kept-alive connection (as Prometheus keeps one) included', async () => {
		const {exporter, url} = await startExporter(box, config);
		const agent = new http.Agent({keepAlive: true, maxSockets: 1});
		assert.equal((await request(url, {agent})).status, 200);
		assert.equal((await request(url, {agent})).status, 200);
		exporter.signal('SIGTERM');
		const exit = await exporter.waitForExit(5000, 'the exporter to stop on SIGTERM');
		assert.equal(exit.code, 0, exporter.describe());
		assert.ok(exporter.lines.some(line => line.msg === 'SIGTERM: stopping'), exporter.describe());
		agent.destroy();
		await assert.rejects(request(url), /ECONNREFUSED/);
	});

	it('a bad --listen is exit 2 with one line and a hint; so is a port in use', async () => {
		for (const listen of ['9464', ':9464', '127.0.0.1:99999', '127.0.0.1:', '[zz]:9464', 'a b:1', 'http://127.0.0.1:9464']) {
			const result = await runCli(['exporter', '--listen', listen, '--redis', box.redisUrl]);
			assert.equal(result.code, 2, `${listen}: ${describeResult(result)}`);
			assert.match(result.stderr, /^saccos-queue: --listen "[^\n]*" is not HOST:PORT\n {2}hint: e\.g\. --listen 127\.0\.0\.1:9464[^\n]*\n$/, result.stderr);
		}
		const {exporter, url} = await startExporter(box, config);
		const taken = new URL(url).port;
		const result = await runCli(['exporter', '--listen', `127.0.0.1:${taken}`, '--redis', box.redisUrl]);
		assert.equal(result.code, 2, describeResult(result));
		assert.match(result.stderr, /^saccos-queue: cannot listen on 127\.0\.0\.1:\d+: the address is in use \(EADDRINUSE\)\n {2}hint: /, result.stderr);
		exporter.signal('SIGTERM');
		assert.equal((await exporter.waitForExit(5000)).code, 0, exporter.describe());
	});
});
