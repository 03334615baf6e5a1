/**
 * `saccos-queue scheduler`: replaces the seed's `while true; schedule:run;
 * sleep 60` loop. It keeps the configured schedules in Redis as BullMQ Job
 * Schedulers (BullMQ 6 has no repeatable-job API), removes the ones it owns
 * that are no longer configured, heals deleted ones every minute, keeps a
 * heartbeat, and reloads its config on SIGHUP. BullMQ itself creates each
 * run's job; the scheduler never has to be up at the fire time.
 */
import os from 'node:os';
import {Queue} from 'bullmq';
import type {Config} from '../config.js';
import {connect, type Connection, type RedisClient} from '../data/connection.js';
import {ownedSchedulesKey, queueKey, registryKey} from '../data/keys.js';
import {isTransientRedisFault, waitingMessage} from '../errors.js';
import {errorFields, type Logger} from './logger.js';
import {listenForControl, newProcessId, startHeartbeat, systemdUnit, VERSION} from './registry.js';
import {whenSupervisorGone} from './supervised.js';
import {atMost} from '../util/bounded.js';
import {onSignals} from '../util/signals.js';

export type SyncResult = {upserted: string[]; removed: string[]; unchanged: string[]};

const member = (queue: string, id: string): string => `${queue}/${id}`;

/**
 * Makes Redis hold exactly the configured schedules that we own: upserts
 * missing or changed ones (all when `force`), removes owned ones no longer
 * configured. Schedulers created by other applications are never touched.
 */
export async function syncSchedules(connection: Connection, config: Config, options: {force?: boolean} = {}): Promise<SyncResult> {
	const {client, prefix} = connection;
	const owned = await client.hgetall(ownedSchedulesKey(prefix));
	const result: SyncResult = {upserted: [], removed: [], unchanged: []};
	const queues = new Map<string, Queue>();
	const queueFor = (name: string): Queue => {
		let queue = queues.get(name);
		if (!queue) {
			queue = new Queue(name, {connection: client, prefix});
			queues.set(name, queue);
		}
		return queue;
	};
	try {
		for (const schedule of config.schedules) {
			const timezone = schedule.timezone ?? config.timezone;
			const existing = await client.hmget(queueKey(prefix, schedule.queue, `repeat:${schedule.id}`), 'pattern', 'tz', 'name');
			const same = existing[0] === schedule.cron && existing[1] === timezone && existing[2] === schedule.name;
			if (same && !options.force && owned[member(schedule.queue, schedule.id)]) {
				result.unchanged.push(schedule.id);
				continue;
			}
			await queueFor(schedule.queue).upsertJobScheduler(schedule.id, {pattern: schedule.cron, tz: timezone}, {name: schedule.name, data: schedule.data ?? {}});
			await client.hsetnx(ownedSchedulesKey(prefix), member(schedule.queue, schedule.id), String(Date.now()));
			await client.sadd(registryKey(prefix), schedule.queue);
			result.upserted.push(schedule.id);
		}
		const configured = new Set(config.schedules.map(schedule => member(schedule.queue, schedule.id)));
		for (const entry of Object.keys(owned)) {
			if (configured.has(entry)) continue;
			const [queue, ...rest] = entry.split('/');
			const id = rest.join('/');
			await queueFor(queue!).removeJobScheduler(id);
			await client.hdel(ownedSchedulesKey(prefix), entry);
			result.removed.push(id);
		}
	} finally {
		await Promise.all([...queues.values()].map(async queue => queue.close()));
	}
	return result;
}

/** What the parts of a running scheduler share; `config` changes on a reload. */
type Run = {id: string; log: Logger; live: Connection; config: Config; started: number; stopping: AbortSignal};

/** Runs the scheduler until SIGTERM/SIGINT, the supervisor gone or a remote stop; returns the exit code. */
export async function runScheduler(loadConfig: () => Promise<Config>, initial: Config, logger: Logger, options: {healEveryMs?: number} = {}): Promise<number> {
	const id = newProcessId('scheduler');
	const log = logger.child({schedulerId: id});
	const stopping = stopSwitch(log);
	const hangUps = takeHangUps();
	const releaseSignals = () => {
		hangUps.dispose();
		stopping.dispose();
	};
	const connection = await connectPatiently(initial, log, stopping.signal).catch((error: unknown) => {
		releaseSignals();
		throw error;
	});
	if (!connection) {
		releaseSignals();
		return 0;
	}
	const run: Run = {id, log, live: connection, config: initial, started: Date.now(), stopping: stopping.signal};
	const heartbeat = startHeartbeat(connection.client, connection.prefix, () => describeScheduler(run), log);
	await syncAndTell(run, 'start', true);
	void heartbeat.beat();
	log.info({schedules: initial.schedules.map(schedule => `${schedule.id} (${schedule.cron})`), timezone: initial.timezone, version: VERSION}, 'scheduler started');
	hangUps.ready(() => void reload(run, loadConfig));
	const subscriber = await listenForStop(run, () => stopping.stop('remote stop'));
	const heal = setInterval(() => void syncAndTell(run, 'heal'), options.healEveryMs ?? 60_000);
	// A stop may have come while it was starting (a SIGTERM, the supervisor gone): it fired no 'abort' to wait for then.
	if (!stopping.signal.aborted) await new Promise<void>(resolve => stopping.signal.addEventListener('abort', () => resolve(), {once: true}));
	clearInterval(heal);
	releaseSignals();
	await atMost((async () => {
		await heartbeat.stop();
		subscriber.disconnect();
		await connection.close();
	})(), 3000);
	log.info('scheduler stopped');
	return 0;
}

/** The scheduler's stop: SIGTERM, SIGINT, the local supervisor gone, or stop(reason) (a remote stop). The first reason is the one logged. */
function stopSwitch(log: Logger): {signal: AbortSignal; stop(reason: string): void; dispose(): void} {
	const stopping = new AbortController();
	const stop = (reason: string) => {
		if (stopping.signal.aborted) return;
		log.info({reason}, 'scheduler stopping');
		stopping.abort();
	};
	const dispose = onSignals(signal => stop(signal));
	const unwatch = whenSupervisorGone(() => stop('the supervisor is gone'));
	stopping.signal.addEventListener('abort', unwatch, {once: true});
	return {signal: stopping.signal, stop, dispose};
}

/**
 * SIGHUP reloads the config. Its default action kills: it is taken from the very start
 * (systemd's ExecReload may come while the scheduler still waits for Redis), and a reload
 * asked for before `ready` runs once it is.
 */
function takeHangUps(): {ready(reload: () => void): void; dispose(): void} {
	let reload: (() => void) | undefined;
	let pending = false;
	const dispose = onSignals(() => {
		if (reload) reload();
		else pending = true;
	}, {signals: ['SIGHUP']});
	return {
		ready: then => {
			reload = then;
			if (pending) then();
		},
		dispose,
	};
}

/** Connects, waiting while Redis is down (logged each time, backing off up to 10 s); undefined when stopped meanwhile. */
async function connectPatiently(config: Config, log: Logger, stopping: AbortSignal): Promise<Connection | undefined> {
	let delay = 500;
	while (!stopping.aborted) {
		try {
			return await connect(config, 'worker');
		} catch (error) {
			if (!isTransientRedisFault(error)) throw error;
			log.warn(errorFields(error), waitingMessage(error));
			await new Promise(resolve => setTimeout(resolve, delay));
			delay = Math.min(delay * 2, 10_000);
		}
	}
	return undefined;
}

/** The scheduler's heartbeat record (read at every beat: its queues follow a reload). */
function describeScheduler(run: Run) {
	return {
		id: run.id,
		kind: 'scheduler' as const,
		host: os.hostname(),
		pid: process.pid,
		queues: [...new Set(run.config.schedules.map(schedule => schedule.queue))],
		concurrency: 0,
		started: run.started,
		version: VERSION,
		processed: 0,
		failed: 0,
		current: [],
		unit: systemdUnit(),
		state: run.stopping.aborted ? ('stopping' as const) : ('running' as const),
	};
}

/** Syncs the schedules; a sync that changed something (or was not a heal) is logged and told to each queue's event stream. A failure is logged: the next heal retries. */
async function syncAndTell(run: Run, why: string, force = false): Promise<void> {
	const {live, log} = run;
	try {
		const result = await syncSchedules(live, run.config, {force});
		if (result.upserted.length > 0 || result.removed.length > 0 || why !== 'heal') {
			log.info({why, ...result}, 'schedules synced');
			const queues = [...new Set(run.config.schedules.map(schedule => schedule.queue))];
			const pipeline = live.client.pipeline();
			for (const queue of queues) pipeline.xadd(queueKey(live.prefix, queue, 'events'), 'MAXLEN', '~', 10_000, '*', 'event', 'schedules.synced', 'schedulerId', run.id, 'upserted', result.upserted.join(','), 'removed', result.removed.join(','));
			await pipeline.exec();
		}
	} catch (error) {
		log.error(errorFields(error), 'schedule sync failed; will retry');
	}
}

/** SIGHUP: the config loaded again and synced; a config that does not load keeps the previous schedules. */
async function reload(run: Run, loadConfig: () => Promise<Config>): Promise<void> {
	try {
		run.config = await loadConfig();
		run.log.info({file: run.config.file ?? null}, 'config reloaded (SIGHUP)');
		await syncAndTell(run, 'reload', true);
	} catch (error) {
		run.log.error(errorFields(error), 'config reload failed; keeping the previous schedules');
	}
}

/** `workers stop` reaches the scheduler on the control channel (without one, it still runs: logged). Returns the subscriber to disconnect. */
async function listenForStop(run: Run, stop: () => void): Promise<RedisClient> {
	const subscriber = run.live.client.duplicate();
	subscriber.on('error', () => {});
	await listenForControl(subscriber, run.live.prefix, () => describeScheduler(run), command => {
		if (command === 'stop') stop();
	}, run.log).catch(error => run.log.warn(errorFields(error), 'control channel unavailable'));
	return subscriber;
}
