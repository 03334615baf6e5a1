/**
 * The worker registry, read side: every live worker and scheduler process on
 * every host (their heartbeat records), merged with BullMQ's own client list
 * for workers we did not start. And the write side of remote control: a
 * command published to the processes that match a target.
 */
import {UserError} from '../errors.js';
import {toUserError, type Connection} from './connection.js';
import {workersFromClientList} from './info.js';
import {controlChannel, workerKey, workersIndexKey} from './keys.js';

/** A heartbeat record expires this long after the last beat. */
export const HEARTBEAT_TTL_MS = 15_000;
export const HEARTBEAT_EVERY_MS = 5_000;

export type ProcessState = 'starting' | 'running' | 'paused' | 'stopping';

/** One live process, as its heartbeat record describes it (plain, JSON-safe). */
export type RegisteredProcess = {
	id: string;
	kind: 'worker' | 'scheduler';
	host: string;
	pid: number;
	queues: string[];
	concurrency: number;
	started: number;
	version: string;
	rss: number;
	processed: number;
	failed: number;
	/** `<queue>/<job id>` of the jobs running now. */
	current: string[];
	unit: string | null;
	state: ProcessState;
	heartbeat: number;
	source: 'saccos-queue';
};

/** A BullMQ worker connection that no heartbeat record explains (another application's). */
export type ForeignWorker = {name: string; queue: string; addr: string; age: number; idle: number; source: 'bullmq'};

const list = (text: string | undefined): string[] => (text ? text.split(',').filter(Boolean) : []);

/** Turns a heartbeat hash into a record; undefined when the hash is gone (expired). */
export function toProcess(hash: Record<string, string>): RegisteredProcess | undefined {
	if (!hash['id']) return undefined;
	return {
		id: hash['id'],
		kind: hash['kind'] === 'scheduler' ? 'scheduler' : 'worker',
		host: hash['host'] ?? '',
		pid: Number(hash['pid'] ?? 0),
		queues: list(hash['queues']),
		concurrency: Number(hash['concurrency'] ?? 0),
		started: Number(hash['started'] ?? 0),
		version: hash['version'] ?? '',
		rss: Number(hash['rss'] ?? 0),
		processed: Number(hash['processed'] ?? 0),
		failed: Number(hash['failed'] ?? 0),
		current: list(hash['current']),
		unit: hash['unit'] || null,
		state: (hash['state'] ?? 'running') as ProcessState,
		heartbeat: Number(hash['heartbeat'] ?? 0),
		source: 'saccos-queue',
	};
}

/**
 * Every live registered process, plus the BullMQ worker connections of
 * `queues` that none of them owns. Two round trips (index, then records and
 * CLIENT LIST together); never a keyspace scan.
 */
export async function listWorkers(connection: Connection, queues: readonly string[]): Promise<{processes: RegisteredProcess[]; foreign: ForeignWorker[]}> {
	const {client, prefix} = connection;
	try {
		const ids = await client.zrangebyscore(workersIndexKey(prefix), Date.now() - HEARTBEAT_TTL_MS, '+inf');
		const pipeline = client.pipeline();
		for (const id of ids) pipeline.hgetall(workerKey(prefix, id));
		const replies = ((await pipeline.exec()) ?? []) as Array<[Error | null, Record<string, string>]>;
		const processes = replies.map(([, hash]) => (hash ? toProcess(hash) : undefined)).filter((entry): entry is RegisteredProcess => entry !== undefined);
		const ours = new Set(processes.map(entry => entry.id));
		const lists = await Promise.all(connection.nodes().map(async node => node.client('LIST').catch(() => '') as Promise<string>));
		const foreign = lists
			.flatMap(text => workersFromClientList(String(text), prefix, queues))
			.filter(worker => worker.workerName === null || !ours.has(worker.workerName))
			.map(worker => ({name: worker.name, queue: worker.queue, addr: worker.addr, age: worker.age, idle: worker.idle, source: 'bullmq' as const}));
		return {processes: processes.sort((a, b) => a.host.localeCompare(b.host) || a.started - b.started), foreign};
	} catch (error) {
		throw toUserError(error, connection.where);
	}
}

export type ControlCommand = 'pause' | 'resume' | 'stop';

/** Whether a process answers to `target`: its id, its host, one of its queues, or "all". */
export const matchesTarget = (process: Pick<RegisteredProcess, 'id' | 'host' | 'queues'>, target: string): boolean =>
	target === 'all' || process.id === target || process.host === target || process.queues.includes(target);

/**
 * Sends a control command to the live processes matching `target`, through
 * Redis pub/sub: no SSH, no root, any host. Exit 2 when nothing matches.
 */
export async function sendControl(connection: Connection, command: ControlCommand, target: string): Promise<RegisteredProcess[]> {
	const {processes} = await listWorkers(connection, []);
	const matched = processes.filter(entry => entry.kind === 'worker' || command === 'stop').filter(entry => matchesTarget(entry, target));
	if (matched.length === 0) {
		const known = processes.map(entry => `${entry.id} (${entry.host}: ${entry.queues.join(',') || entry.kind})`).join('; ');
		throw new UserError('usage', `no live worker matches "${target}"`, known ? `live: ${known}` : 'no worker is running (see `saccos-queue workers`)');
	}
	try {
		await connection.client.publish(controlChannel(connection.prefix), JSON.stringify({command, target, ids: matched.map(entry => entry.id), at: Date.now()}));
	} catch (error) {
		throw toUserError(error, connection.where);
	}
	return matched;
}
