/**
 * TLS as a managed Redis needs it, against a real redis-server with a TLS port
 * and certificates made by openssl: a private CA, a client certificate that the
 * server requires, a server name that is not the URL's host. Each mistake an
 * operator makes gets its own message and exit 5 (code redis-tls), never a
 * timeout's words and never exit 70.
 */
import assert from 'node:assert/strict';
import {after, before, describe, it} from 'node:test';
import {freePort, startRedisServer, type RedisServer} from '../helpers/redis-server.js';
import {makeCertificates, tlsServerArgs, type Certificates} from '../helpers/tls.js';
import {describeResult, parseJson, runCli, writeConfig} from '../helpers/cli.js';

type ErrorJson = {error: {code: string; message: string; hint: string}};

describe('TLS (rediss://) against a real redis-server', () => {
	let certs: Certificates;
	let named: Certificates;
	let server: RedisServer;
	let tlsPort: number;
	let strict: RedisServer;
	let strictPort: number;

	before(async () => {
		certs = makeCertificates();
		// A certificate for a name only (no IP): reached at 127.0.0.1 it needs --tls-servername.
		named = makeCertificates('DNS:redis.internal');
		tlsPort = await freePort();
		server = await startRedisServer({args: tlsServerArgs(certs, tlsPort, true)});
		strictPort = await freePort();
		strict = await startRedisServer({args: tlsServerArgs(named, strictPort, false)});
	});

	after(async () => {
		await server?.stop();
		await strict?.stop();
		certs?.remove();
		named?.remove();
	});

	const url = () => `rediss://127.0.0.1:${tlsPort}`;
	const withClient = () => ['--tls-cert', certs.clientCert, '--tls-key', certs.clientKey];

	it('a private CA, a required client certificate: status --json works', async () => {
		const result = await runCli(['status', '--json', '--redis', url(), '--tls-ca', certs.ca, ...withClient()]);
		assert.equal(result.code, 0, describeResult(result));
		assert.ok(Array.isArray(parseJson(result).queues));
	});

	it('the same settings from the config file, paths relative to it', async () => {
		const file = writeConfig('tls.config.json', {redis: url(), tls: {ca: certs.ca, cert: certs.clientCert, key: certs.clientKey}});
		const result = await runCli(['status', '--json', '--config', file]);
		assert.equal(result.code, 0, describeResult(result));
	});

	it('and from REDIS_TLS_CA / REDIS_TLS_CERT / REDIS_TLS_KEY', async () => {
		const result = await runCli(['queues', '--json', '--redis', url()], {env: {REDIS_TLS_CA: certs.ca, REDIS_TLS_CERT: certs.clientCert, REDIS_TLS_KEY: certs.clientKey}});
		assert.equal(result.code, 0, describeResult(result));
	});

	it('no CA given: the certificate does not verify, exit 5, the hint names --tls-ca', async () => {
		const result = await runCli(['status', '--json', '--redis', url(), ...withClient()]);
		assert.equal(result.code, 5, describeResult(result));
		const {error} = parseJson<ErrorJson>(result);
		assert.equal(error.code, 'redis-tls');
		assert.match(error.message, /certificate that does not verify/);
		assert.match(error.hint, /--tls-ca/);
	});

	it('the wrong CA: exit 5, does not verify', async () => {
		const result = await runCli(['status', '--json', '--redis', url(), '--tls-ca', certs.otherCa, ...withClient()]);
		assert.equal(result.code, 5, describeResult(result));
		assert.equal(parseJson<ErrorJson>(result).error.code, 'redis-tls');
	});

	it('no client certificate where the server requires one: exit 5, the hint names --tls-cert', async () => {
		const result = await runCli(['status', '--json', '--redis', url(), '--tls-ca', certs.ca]);
		assert.equal(result.code, 5, describeResult(result));
		const {error} = parseJson<ErrorJson>(result);
		assert.equal(error.code, 'redis-tls');
		assert.match(error.hint, /--tls-cert/);
	});

	it('a certificate for another name: exit 5 naming the mismatch; --tls-servername fixes it', async () => {
		const base = ['status', '--json', '--redis', `rediss://127.0.0.1:${strictPort}`, '--tls-ca', named.ca];
		const wrong = await runCli(base);
		assert.equal(wrong.code, 5, describeResult(wrong));
		const {error} = parseJson<ErrorJson>(wrong);
		assert.equal(error.code, 'redis-tls');
		assert.match(error.message, /another name/);
		assert.match(error.hint, /--tls-servername/);
		const right = await runCli([...base, '--tls-servername', 'redis.internal']);
		assert.equal(right.code, 0, describeResult(right));
	});

	it('rediss:// to a plain port: says it is a plain port, exit 5, within the connect timeout', async () => {
		const result = await runCli(['status', '--json', '--redis', `rediss://127.0.0.1:${server.port}`, '--tls-ca', certs.ca]);
		assert.equal(result.code, 5, describeResult(result));
		const {error} = parseJson<ErrorJson>(result);
		assert.equal(error.code, 'redis-tls');
		assert.match(error.message, /plain-text port/);
		assert.ok(result.ms < 6000, `took ${result.ms} ms`);
	});

	it('redis:// to a TLS port: says TLS is needed, exit 5', async () => {
		const result = await runCli(['status', '--json', '--redis', `redis://127.0.0.1:${tlsPort}`]);
		assert.equal(result.code, 5, describeResult(result));
		const {error} = parseJson<ErrorJson>(result);
		assert.equal(error.code, 'redis-tls');
		assert.match(error.hint, /rediss:\/\//);
	});

	it('TLS settings with a plain redis:// URL are refused (exit 2) instead of silently unused', async () => {
		const result = await runCli(['status', '--json', '--redis', `redis://127.0.0.1:${server.port}`, '--tls-ca', certs.ca]);
		assert.equal(result.code, 2, describeResult(result));
		assert.match(parseJson<ErrorJson>(result).error.message, /not rediss/);
	});

	it('a CA file that does not exist: exit 2 naming the file', async () => {
		const result = await runCli(['status', '--json', '--redis', url(), '--tls-ca', '/nonexistent/ca.pem']);
		assert.equal(result.code, 2, describeResult(result));
		assert.match(parseJson<ErrorJson>(result).error.message, /\/nonexistent\/ca\.pem/);
	});
});
