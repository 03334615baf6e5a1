/**
 * The write side of the worker registry: a heartbeat record per process,
 * refreshed by a timer (never per job), expiring soon after the process
 * dies; and the control channel subscription.
 */
import {readFileSync} from 'node:fs';
import os from 'node:os';
import {controlChannel, workerKey, workersIndexKey} from '../data/keys.js';
import {HEARTBEAT_EVERY_MS, HEARTBEAT_TTL_MS, matchesTarget, type ControlCommand, type ProcessState, type RegisteredProcess} from '../data/workers.js';
import type {RedisClient} from '../data/connection.js';
import type {Logger} from './logger.js';
import {errorFields} from './logger.js';
import {atMost} from '../util/bounded.js';

export {VERSION} from '../version.js';

/** The systemd unit this process runs in, when it does (from its cgroup). */
export function systemdUnit(): string | null {
	if (!process.env['INVOCATION_ID']) return null;
	try {
		const cgroup = readFileSync('/proc/self/cgroup', 'utf8');
		return /([^/]+\.service)/.exec(cgroup)?.[1] ?? null;
	} catch {
		return null;
	}
}

export const newProcessId = (kind: string): string => `${os.hostname()}-${kind === 'worker' ? 'w' : 's'}${process.pid}-${Math.random().toString(36).slice(2, 6)}`;

export type Heartbeat = {stop(): Promise<void>; beat(): Promise<void>};

/** Starts beating; `describe` is read at every beat, so counters stay current. */
export function startHeartbeat(client: RedisClient, prefix: string, describe: () => Omit<RegisteredProcess, 'heartbeat' | 'source' | 'rss'>, logger: Logger): Heartbeat {
	let failing = false;
	const beat = async () => {
		const now = Date.now();
		const record = {...describe(), rss: process.memoryUsage.rss(), heartbeat: now};
		const fields = Object.entries(record).map(([key, value]) => [key, Array.isArray(value) ? value.join(',') : value === null ? '' : String(value)]).flat();
		try {
			await client
				.multi()
				.hset(workerKey(prefix, record.id), ...fields)
				.pexpire(workerKey(prefix, record.id), HEARTBEAT_TTL_MS)
				.zadd(workersIndexKey(prefix), now, record.id)
				.zremrangebyscore(workersIndexKey(prefix), '-inf', now - HEARTBEAT_TTL_MS * 4)
				.exec();
			if (failing) logger.info('heartbeat restored');
			failing = false;
		} catch (error) {
			if (!failing) logger.warn(errorFields(error), 'heartbeat failed; retrying');
			failing = true;
		}
	};
	const timer = setInterval(() => void beat(), HEARTBEAT_EVERY_MS);
	timer.unref();
	return {
		beat,
		stop: async () => {
			clearInterval(timer);
			const {id} = describe();
			// Leave at once rather than when the record expires.
			await atMost(client.multi().del(workerKey(prefix, id)).zrem(workersIndexKey(prefix), id).exec(), 1000);
		},
	};
}

/** Subscribes to the control channel; `onCommand` runs for commands addressed to this process. */
export async function listenForControl(
	subscriber: RedisClient,
	prefix: string,
	self: () => Pick<RegisteredProcess, 'id' | 'host' | 'queues'>,
	onCommand: (command: ControlCommand, from: string) => void,
	logger: Logger,
): Promise<void> {
	const channel = controlChannel(prefix);
	subscriber.on('message', (incoming: string, text: string) => {
		if (incoming !== channel) return;
		try {
			const message = JSON.parse(text) as {command: ControlCommand; target: string; ids?: string[]};
			const me = self();
			const addressed = message.ids ? message.ids.includes(me.id) : matchesTarget(me, message.target);
			if (addressed && ['pause', 'resume', 'stop'].includes(message.command)) onCommand(message.command, message.target);
		} catch (error) {
			logger.warn(errorFields(error), 'ignored a malformed control message');
		}
	});
	await subscriber.subscribe(channel);
}

export type {ProcessState};
