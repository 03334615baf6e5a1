/**
 * `saccos-queue scheduler` and `schedule list|run|sync` against a real Redis:
 * the seed's four schedules as BullMQ Job Schedulers with next runs in the
 * configured time zone, a run now, a one-shot sync, SIGHUP removing a
 * schedule no longer configured, and another application's scheduler left
 * alone.
 */
import {after, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {writeFileSync} from 'node:fs';
import {CronExpressionParser} from 'cron-parser';
import {describeResult, parseJson, runCli} from '../helpers/cli.js';
import {waitFor} from '../helpers/keyspace.js';
import {startRedisServer, testRedisUrl, type RedisServer} from '../helpers/redis-server.js';
import {sandbox, startProcess, useSandboxes, type Sandbox} from '../helpers/worker-process.js';

const ZONE = 'Africa/Dar_es_Salaam';
const SEED = [
	{id: 'reports:generate-scheduled', cron: '* * * * *', queue: 'default'},
	{id: 'reports:generate-daily', cron: '0 2 * * *', queue: 'default'},
	{id: 'reports:generate-weekly', cron: '0 6 * * 0', queue: 'default'},
	{id: 'reports:generate-monthly', cron: '0 7 1 * *', queue: 'default'},
];

type Listed = {id: string; queue: string; cron: string | null; timezone: string; inRedis: boolean; nextRun: number | null; expectedNextRun: number | null; configured: boolean};

const next = (cron: string, from: number): number => CronExpressionParser.parse(cron, {currentDate: new Date(from), tz: ZONE}).next().getTime();

describe('scheduler and schedule commands', () => {
	const url = testRedisUrl();
	const servers: RedisServer[] = [];
	/** Sandboxes on servers of their own (the shared one is `open`'s). */
	const boxes: Sandbox[] = [];
	const open = useSandboxes(url);
	after(async () => {
		await Promise.all(boxes.map(async box => box.cleanup()));
		await Promise.all(servers.map(async server => server.stop()));
	});

	const cli = async (box: Sandbox, config: string, args: string[]) => runCli([...args, '--config', config, '--redis', box.redisUrl, '--prefix', box.prefix]);
	const scheduler = (box: Sandbox, config: string) => startProcess(['scheduler', ...box.args(config)], {cwd: box.dir});
	/**
	 * "scheduler started", then its control-channel subscription: the
	 * scheduler subscribes after installing its SIGHUP handler, so a SIGHUP
	 * sent after this cannot hit the default action (terminate). (The log line
	 * alone comes just before the handler: see the startup test below.)
	 */
	const ready = async (box: Sandbox, proc: ReturnType<typeof scheduler>) => {
		await proc.waitForLine(entry => entry.msg === 'scheduler started', 'scheduler started');
		const client = box.client();
		await waitFor(async () => {
			const [, subscribers] = (await client.pubsub('NUMSUB', `${box.prefix}:saccos-queue:control`)) as [string, number];
			return subscribers >= 1;
		}, 'the scheduler to subscribe to the control channel');
	};
	const list = async (box: Sandbox, config: string): Promise<Listed[]> => {
		const result = await cli(box, config, ['schedule', 'list', '--json']);
		assert.equal(result.code, 0, describeResult(result));
		return parseJson<{schedules: Listed[]}>(result).schedules;
	};

	it('before any scheduler ran: not in Redis, no next run of Redis\'s, and the time each is due by its cron and zone', async () => {
		const box = open('due');
		const config = box.writeConfig({timezone: ZONE, schedules: SEED});
		const before = Date.now();
		const schedules = await list(box, config);
		const after = Date.now();
		for (const seed of SEED) {
			const listed = schedules.find(entry => entry.id === seed.id)!;
			assert.equal(listed.inRedis, false);
			assert.equal(listed.nextRun, null);
			assert.ok([next(seed.cron, before), next(seed.cron, after)].includes(listed.expectedNextRun!), `${seed.id}: due ${String(listed.expectedNextRun)}`);
		}
		const table = await cli(box, config, ['schedule', 'list']);
		assert.match(table.stdout, /reports:generate-daily\s+default\s+0 2 \* \* \*\s+Africa\/Dar_es_Salaam\s+\d{4}-\d\d-\d\d 02:00:00 \(expected; not in Redis\)/);
	});

	it('the scheduler puts the four seed schedules in Redis with next runs in the configured time zone', async () => {
		const box = open('sched');
		const config = box.writeConfig({timezone: ZONE, schedules: SEED});
		const before = Date.now();
		const proc = scheduler(box, config);
		await proc.waitForLine(entry => entry.msg === 'scheduler started', 'scheduler started');
		const after = Date.now();
		const schedules = await list(box, config);
		assert.deepEqual(schedules.map(entry => entry.id).sort(), SEED.map(entry => entry.id).sort());
		for (const seed of SEED) {
			const listed = schedules.find(entry => entry.id === seed.id)!;
			assert.equal(listed.inRedis, true, `${seed.id} not in Redis`);
			assert.equal(listed.timezone, ZONE);
			assert.equal(listed.cron, seed.cron);
			// The upsert happened between `before` and `after`: a minute boundary may fall in between.
			const expected = [next(seed.cron, before), next(seed.cron, after)];
			assert.ok(expected.includes(listed.nextRun!), `${seed.id}: next run ${new Date(listed.nextRun!).toISOString()}, cron-parser in ${ZONE} says ${expected.map(time => new Date(time).toISOString()).join(' or ')}`);
		}
		// 02:00 in Dar es Salaam (UTC+3, no DST) is 23:00 UTC: the zone really applies.
		const daily = schedules.find(entry => entry.id === 'reports:generate-daily')!;
		assert.equal(new Date(daily.nextRun!).getUTCHours(), 23);
		assert.equal(new Date(daily.nextRun!).getUTCMinutes(), 0);
		// BullMQ itself has them, as Job Schedulers.
		const inBull = await box.queue('default').getJobSchedulers();
		assert.deepEqual(inBull.map(entry => entry.key).sort(), SEED.map(entry => entry.id).sort());
		assert.ok(inBull.every(entry => entry.tz === ZONE));
		// The scheduler is a live process in `workers --json` too.
		const workers = await cli(box, config, ['workers', '--json']);
		assert.equal(workers.code, 0, describeResult(workers));
		const me = parseJson<{workers: Array<{kind: string; pid: number}>}>(workers).workers.find(entry => entry.pid === proc.pid);
		assert.equal(me?.kind, 'scheduler');
		proc.signal('SIGTERM');
		assert.equal((await proc.waitForExit(8000)).code, 0, proc.describe());
	});

	it('SIGHUP with a broken config keeps the schedules and the scheduler running', async () => {
		const box = open('badhup');
		const config = box.writeConfig({timezone: ZONE, schedules: SEED});
		const proc = scheduler(box, config);
		await ready(box, proc);
		writeFileSync(config, '{"schedules": [');
		proc.signal('SIGHUP');
		const failed = await proc.waitForLine(entry => entry.msg === 'config reload failed; keeping the previous schedules', 'the reload failure');
		assert.equal(failed.level, 'error');
		assert.equal((await box.queue('default').getJobSchedulers()).length, 4);
		assert.equal(proc.child.exitCode, null, 'the scheduler exited');
		proc.signal('SIGTERM');
		assert.equal((await proc.waitForExit(8000)).code, 0, proc.describe());
	});

	it('a SIGHUP while the scheduler is still starting (waiting for Redis) does not kill it, and reloads once it runs', async () => {
		// systemd starts the scheduler before Redis at boot; a `systemctl reload`
		// (or logrotate's HUP) in that window must not terminate it.
		const server = await startRedisServer();
		servers.push(server);
		await server.stop();
		const box = sandbox(server.url, 'earlyhup');
		boxes.push(box);
		const config = box.writeConfig({timezone: ZONE, schedules: SEED});
		const proc = scheduler(box, config);
		await proc.waitForLine(entry => entry.msg === 'Redis unreachable; retrying', 'the scheduler waiting for Redis');
		proc.signal('SIGHUP');
		await server.restart();
		await proc.waitForLine(entry => entry.msg === 'scheduler started', 'the scheduler to start once Redis is up', 20_000);
		// The reload it asked for is done once the scheduler runs.
		await proc.waitForLine(entry => entry.msg === 'config reloaded (SIGHUP)', 'the early SIGHUP\'s reload');
		assert.equal((await box.queue('default').getJobSchedulers()).length, 4);
		proc.signal('SIGTERM');
		assert.equal((await proc.waitForExit(8000)).code, 0, proc.describe());
	});

	it('a SIGTERM while the scheduler is still starting (its first sync waiting on Redis) stops it once Redis answers', async () => {
		// The local supervisor killed right after starting it: the scheduler notices while it starts, and
		// must stop then rather than run on, orphaned. Writes paused on a Redis of its own hold it mid-start.
		const server = await startRedisServer();
		servers.push(server);
		const box = sandbox(server.url, 'earlyterm');
		boxes.push(box);
		const client = box.client();
		await client.call('CLIENT', 'PAUSE', '60000', 'WRITE');
		try {
			const config = box.writeConfig({timezone: ZONE, schedules: SEED});
			const proc = scheduler(box, config);
			await waitFor(async () => /^blocked_clients:[1-9]/m.test(await client.info('clients')), 'the scheduler\'s first write to wait on the pause', 20_000);
			assert.equal(proc.child.exitCode, null, proc.describe());
			proc.signal('SIGTERM');
			await proc.waitForLine(entry => entry.msg === 'scheduler stopping', 'the scheduler to take the SIGTERM');
			await client.call('CLIENT', 'UNPAUSE');
			assert.equal((await proc.waitForExit(8000)).code, 0, proc.describe());
		} finally {
			await client.call('CLIENT', 'UNPAUSE');
		}
	});

	it('`schedule run <id>` produces a waiting job at once', async () => {
		const box = open('run');
		const config = box.writeConfig({timezone: ZONE, schedules: SEED});
		const result = await cli(box, config, ['schedule', 'run', 'reports:generate-daily', '--json']);
		assert.equal(result.code, 0, describeResult(result));
		const report = parseJson<{jobId: string; queue: string}>(result);
		assert.equal(report.queue, 'default');
		assert.ok(report.jobId, `no job id: ${result.stdout}`);
		const job = await box.queue('default').getJob(report.jobId);
		assert.equal(job?.name, 'reports:generate-daily');
		assert.equal(await job?.getState(), 'waiting');
	});

	it('`schedule sync` upserts the schedules once and exits', async () => {
		const box = open('sync');
		const config = box.writeConfig({timezone: ZONE, schedules: SEED});
		const result = await cli(box, config, ['schedule', 'sync', '--json']);
		assert.equal(result.code, 0, describeResult(result));
		const inBull = await box.queue('default').getJobSchedulers();
		assert.deepEqual(inBull.map(entry => entry.key).sort(), SEED.map(entry => entry.id).sort());
		assert.ok(inBull.every(entry => entry.tz === ZONE));
		// Again: nothing to change.
		const again = await cli(box, config, ['schedule', 'sync', '--json']);
		assert.equal(again.code, 0, describeResult(again));
		assert.equal(parseJson(again).count, 0, again.stdout);
		assert.equal((await box.queue('default').getJobSchedulers()).length, 4);
	});

	it('SIGHUP reloads the config: a schedule no longer configured leaves Redis; another application\'s stays', async () => {
		const box = open('hup');
		const config = box.writeConfig({timezone: ZONE, schedules: SEED});
		// Another application's scheduler on the same queue.
		await box.queue('default').upsertJobScheduler('billing:nightly', {pattern: '0 3 * * *', tz: 'UTC'}, {name: 'billing:nightly', data: {}});
		const proc = scheduler(box, config);
		await ready(box, proc);
		assert.equal((await box.queue('default').getJobSchedulers()).length, 5);
		writeFileSync(config, JSON.stringify({processors: {}, timezone: ZONE, schedules: SEED.filter(entry => entry.id !== 'reports:generate-weekly')}));
		proc.signal('SIGHUP');
		const synced = await proc.waitForLine(entry => entry.msg === 'schedules synced' && entry['why'] === 'reload', 'the reload sync');
		assert.deepEqual(synced['removed'], ['reports:generate-weekly']);
		const keys = (await box.queue('default').getJobSchedulers()).map(entry => entry.key).sort();
		assert.deepEqual(keys, ['billing:nightly', 'reports:generate-daily', 'reports:generate-monthly', 'reports:generate-scheduled']);
		assert.equal(await box.queue('default').getJobScheduler('reports:generate-weekly'), undefined);
		// `schedule list` no longer shows the removed one.
		const listed = await list(box, config);
		assert.equal(listed.some(entry => entry.id === 'reports:generate-weekly'), false);
		proc.signal('SIGTERM');
		assert.equal((await proc.waitForExit(8000)).code, 0, proc.describe());
		// The other application's scheduler survived the scheduler's whole life.
		await waitFor(async () => (await box.queue('default').getJobScheduler('billing:nightly')) !== undefined, 'billing:nightly still there');
	});
});
