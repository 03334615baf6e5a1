import assert from 'node:assert/strict';
import {mkdirSync, mkdtempSync, writeFileSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {after, describe, it} from 'node:test';
import {loadConfig} from '../source/config.js';
import {UserError} from '../source/errors.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'saccos-config-'));
after(() => rmSync(dir, {recursive: true, force: true}));

function file(name: string, content: string): string {
	const full = path.join(dir, name);
	writeFileSync(full, content);
	return full;
}

async function configError(promise: Promise<unknown>): Promise<UserError> {
	try {
		await promise;
	} catch (error) {
		assert.ok(error instanceof UserError, `expected a UserError, got ${String(error)}`);
		return error;
	}
	assert.fail('expected the config to be refused');
}

describe('config', () => {
	it('refuses a cron expression that cannot run, naming the schedule\'s field and what is wrong', async () => {
		for (const [cron, why] of [['61 * * * *', /got value 61 expected range 0-59/], ['0 25 * * *', /expected range 0-23/], ['0 0 30 2 *', /day of month/], ['*/0 * * * *', /every 0/]] as const) {
			const error = await configError(loadConfig({config: file('cron.json', JSON.stringify({schedules: [{id: 'ok', cron: '0 2 * * *'}, {id: 'bad', cron}]}))}, {}));
			assert.equal(error.exitCode, 2);
			assert.match(error.message, /field "schedules\.1\.cron"/);
			assert.match(error.message, why);
		}
		const short = await configError(loadConfig({config: file('short.json', JSON.stringify({schedules: [{id: 'a', cron: '* * *'}]}))}, {}));
		assert.match(short.message, /5 or 6 fields/);
		const fine = await loadConfig({config: file('fine.json', JSON.stringify({schedules: [{id: 'a', cron: '@daily'}, {id: 'b', cron: '*/15 8-17 * * 1-5'}]}))}, {});
		assert.equal(fine.schedules.length, 2);
	});

	it('reads TLS settings (paths relative to the file) and refuses them with a plain redis:// URL', async () => {
		const config = await loadConfig({config: file('tls.json', JSON.stringify({redis: 'rediss://cache:6380', tls: {ca: 'certs/ca.pem', servername: 'cache.internal'}}))}, {});
		assert.deepEqual(config.tls, {ca: path.join(dir, 'certs', 'ca.pem'), servername: 'cache.internal'});
		const plain = await configError(loadConfig({config: file('plain.json', JSON.stringify({redis: 'redis://cache:6379', tls: {ca: 'ca.pem'}}))}, {}));
		assert.match(plain.message, /not rediss/);
		const half = await configError(loadConfig({config: file('half.json', JSON.stringify({redis: 'rediss://cache:6380', tls: {cert: 'c.pem'}}))}, {}));
		assert.match(half.message, /needs its key/);
	});

	it('defaults reproduce the seed', async () => {
		const config = await loadConfig({}, {});
		assert.deepEqual(config.queueOrder, ['high', 'default', 'emails', 'notifications']);
		assert.deepEqual(Object.fromEntries(Object.entries(config.queues).map(([name, queue]) => [name, [queue.timeout, queue.tries]])), {
			high: [90, 3], default: [90, 3], emails: [60, 3], notifications: [60, 3],
		});
		assert.deepEqual(config.monitor, {default: 100, high: 50, emails: 100, notifications: 100});
		assert.deepEqual(config.schedules.map(schedule => [schedule.id, schedule.cron]), [
			['reports:generate-scheduled', '* * * * *'],
			['reports:generate-daily', '0 2 * * *'],
			['reports:generate-weekly', '0 6 * * 0'],
			['reports:generate-monthly', '0 7 1 * *'],
		]);
		assert.equal(config.prefix, 'bull');
		assert.deepEqual(config.worker, {sleep: 3, maxTime: 3600});
	});

	it('flags beat environment, which beats the file', async () => {
		const json = file('p.json', JSON.stringify({redis: 'redis://file:1', prefix: 'fromfile'}));
		const fromFile = await loadConfig({config: json}, {});
		assert.deepEqual(fromFile.redis, {kind: 'url', url: 'redis://file:1'});
		assert.equal(fromFile.prefix, 'fromfile');
		const fromEnv = await loadConfig({config: json}, {REDIS_URL: 'redis://env:2', SACCOS_QUEUE_PREFIX: 'fromenv'});
		assert.deepEqual(fromEnv.redis, {kind: 'url', url: 'redis://env:2'});
		assert.equal(fromEnv.prefix, 'fromenv');
		const fromFlags = await loadConfig({config: json, redis: 'redis://flag:3', prefix: 'fromflag'}, {REDIS_URL: 'redis://env:2'});
		assert.deepEqual(fromFlags.redis, {kind: 'url', url: 'redis://flag:3'});
		assert.equal(fromFlags.prefix, 'fromflag');
	});

	it('SACCOS_QUEUE_CONFIG names the file', async () => {
		const json = file('env.json', JSON.stringify({prefix: 'viaenv'}));
		assert.equal((await loadConfig({}, {SACCOS_QUEUE_CONFIG: json})).prefix, 'viaenv');
	});

	it('reads YAML and resolves processor paths against the file folder', async () => {
		const yaml = file('c.yaml', 'queues:\n  high: {timeout: 30}\n  reports: {tries: 5, isolation: process}\nprocessors:\n  "reports:generate-daily": ./jobs/report.js\n');
		// A processor module must exist where the path says (checked where the config is read).
		mkdirSync(path.join(dir, 'jobs'), {recursive: true});
		writeFileSync(path.join(dir, 'jobs', 'report.js'), 'export default async () => ({});\n');
		const config = await loadConfig({config: yaml}, {});
		assert.deepEqual(config.queueOrder, ['high', 'reports']);
		assert.equal(config.queues['high']!.timeout, 30);
		assert.equal(config.queues['high']!.tries, 3, 'unset fields keep the seed default');
		assert.equal(config.queues['reports']!.isolation, 'process');
		assert.equal(config.processors['reports:generate-daily'], path.join(dir, 'jobs', 'report.js'));
	});

	it('a misspelt field names the file and the field (exit 2)', async () => {
		const bad = file('bad.json', JSON.stringify({queues: {high: {timout: 5}}}));
		const error = await configError(loadConfig({config: bad}, {}));
		assert.equal(error.exitCode, 2);
		assert.match(error.message, /bad\.json/);
		assert.match(error.message, /queues\.high\.timout/);
	});

	it('a wrong type says what was expected', async () => {
		const bad = file('type.json', JSON.stringify({queues: {high: {tries: 'three'}}}));
		const error = await configError(loadConfig({config: bad}, {}));
		assert.match(error.message, /queues\.high\.tries.*expected number/);
	});

	it('broken JSON, a missing file, an unknown time zone and a bad URL are usage errors', async () => {
		assert.equal((await configError(loadConfig({config: file('broken.json', '{"redis": ')}, {}))).exitCode, 2);
		assert.equal((await configError(loadConfig({config: path.join(dir, 'nope.json')}, {}))).exitCode, 2);
		const zone = await configError(loadConfig({config: file('tz.json', JSON.stringify({timezone: 'Mars/Olympus'}))}, {}));
		assert.match(zone.message, /timezone.*Mars\/Olympus/);
		assert.equal((await configError(loadConfig({redis: 'http://localhost'}, {}))).exitCode, 2);
	});

	it('reads Cluster and Sentinel targets', async () => {
		const cluster = await loadConfig({config: file('cl.json', JSON.stringify({redis: {cluster: ['redis://10.0.0.1:6379']}, prefix: '{saccos}'}))}, {});
		assert.deepEqual(cluster.redis, {kind: 'cluster', nodes: ['redis://10.0.0.1:6379']});
		const sentinel = await loadConfig({config: file('se.json', JSON.stringify({redis: {sentinels: ['10.0.0.1:26379'], name: 'mymaster'}}))}, {REDIS_PASSWORD: 'pw'});
		assert.equal(sentinel.redis.kind, 'sentinel');
		assert.equal(sentinel.password, 'pw');
	});
});
