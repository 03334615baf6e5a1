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
import {connect, type Connection} from '../data/connection.js';
import {ownedSchedulesKey, queueKey, registryKey} from '../data/keys.js';
import {isTransientRedisFault, waitingMessage} from '../errors.js';
import {errorFields, type Logger} from './logger.js';
import {listenForControl, newProcessId, startHeartbeat, systemdUnit, VERSION} from './registry.js';
import {whenSupervisorGone} from './supervised.js';
import {atMost} from '../util/bounded.js';

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

/** Runs the scheduler until SIGTERM/SIGINT or a remote stop; returns the exit code. */
export async function runScheduler(loadConfig: () => Promise<Config>, initial: Config, logger: Logger, options: {healEveryMs?: number} = {}): Promise<number> {
	let config = initial;
	const id = newProcessId('scheduler');
	const log = logger.child({schedulerId: id});
	const stopping = new AbortController();
	const stop = (reason: string) => {
		if (stopping.signal.aborted) return;
		log.info({reason}, 'scheduler stopping');
		stopping.abort();
	};
	const onSignal = (signal: NodeJS.Signals) => stop(signal);
	process.on('SIGTERM', onSignal);
	process.on('SIGINT', onSignal);
	const unwatch = whenSupervisorGone(() => stop('the supervisor is gone'));
	stopping.signal.addEventListener('abort', unwatch, {once: true});
	// SIGHUP's default action kills: take it from the very start (systemd's
	// ExecReload may come while we still wait for Redis) and reload once ready.
	let reload: (() => void) | undefined;
	let reloadPending = false;
	const onHangup = () => {
		if (reload) reload();
		else reloadPending = true;
	};
	process.on('SIGHUP', onHangup);

	let connection: Connection | undefined;
	let delay = 500;
	while (!connection && !stopping.signal.aborted) {
		try {
			connection = await connect(config, 'worker');
		} catch (error) {
			if (!isTransientRedisFault(error)) throw error;
			log.warn(errorFields(error), waitingMessage(error));
			await new Promise(resolve => setTimeout(resolve, delay));
			delay = Math.min(delay * 2, 10_000);
		}
	}
	if (!connection) {
		process.off('SIGHUP', onHangup);
		return 0;
	}
	const live = connection;
	const started = Date.now();
	const describe = () => ({
		id,
		kind: 'scheduler' as const,
		host: os.hostname(),
		pid: process.pid,
		queues: [...new Set(config.schedules.map(schedule => schedule.queue))],
		concurrency: 0,
		started,
		version: VERSION,
		processed: 0,
		failed: 0,
		current: [],
		unit: systemdUnit(),
		state: stopping.signal.aborted ? ('stopping' as const) : ('running' as const),
	});
	const heartbeat = startHeartbeat(live.client, live.prefix, describe, log);

	const sync = async (why: string, force = false) => {
		try {
			const result = await syncSchedules(live, config, {force});
			if (result.upserted.length > 0 || result.removed.length > 0 || why !== 'heal') {
				log.info({why, ...result}, 'schedules synced');
				const queues = [...new Set(config.schedules.map(schedule => schedule.queue))];
				const pipeline = live.client.pipeline();
				for (const queue of queues) pipeline.xadd(queueKey(live.prefix, queue, 'events'), 'MAXLEN', '~', 10_000, '*', 'event', 'schedules.synced', 'schedulerId', id, 'upserted', result.upserted.join(','), 'removed', result.removed.join(','));
				await pipeline.exec();
			}
		} catch (error) {
			log.error(errorFields(error), 'schedule sync failed; will retry');
		}
	};
	await sync('start', true);
	void heartbeat.beat();
	log.info({schedules: config.schedules.map(schedule => `${schedule.id} (${schedule.cron})`), timezone: config.timezone, version: VERSION}, 'scheduler started');

	reload = () => {
		void (async () => {
			try {
				config = await loadConfig();
				log.info({file: config.file ?? null}, 'config reloaded (SIGHUP)');
				await sync('reload', true);
			} catch (error) {
				log.error(errorFields(error), 'config reload failed; keeping the previous schedules');
			}
		})();
	};
	if (reloadPending) reload();
	const subscriber = live.client.duplicate();
	subscriber.on('error', () => {});
	await listenForControl(subscriber, live.prefix, describe, command => {
		if (command === 'stop') stop('remote stop');
	}, log).catch(error => log.warn(errorFields(error), 'control channel unavailable'));

	const heal = setInterval(() => void sync('heal'), options.healEveryMs ?? 60_000);
	// A stop may have come while it was starting (a SIGTERM, the supervisor gone): it fired no 'abort' to wait for then.
	if (!stopping.signal.aborted) await new Promise<void>(resolve => stopping.signal.addEventListener('abort', () => resolve(), {once: true}));
	clearInterval(heal);
	process.off('SIGHUP', onHangup);
	process.off('SIGTERM', onSignal);
	process.off('SIGINT', onSignal);
	await atMost((async () => {
		await heartbeat.stop();
		subscriber.disconnect();
		await live.close();
	})(), 3000);
	log.info('scheduler stopped');
	return 0;
}
