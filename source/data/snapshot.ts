/**
 * A snapshot of every queue in ONE pipelined round trip, whatever the number
 * of queues (one per node on a Cluster): nine commands per queue — eight O(1)
 * reads and one read-only script that finds the age of the job next in line
 * (LINDEX, ZRANGE 0 0 and at most two HMGETs) — one ZSCORE per configured
 * schedule, plus one INFO and one CLIENT LIST per node.
 * Its cost does not depend on the number of jobs. It only reads.
 */
import {createHash} from 'node:crypto';
import type {Redis} from 'ioredis';
import type {Config} from '../config.js';
import type {Connection} from './connection.js';
import {toUserError} from './connection.js';
import {parseInfo, infoNumber, workersFromClientList} from './info.js';
import {queueKey, registryKey, stateKey} from './keys.js';
import {mergeQueueNames} from './queues.js';
import {JOB_STATES, type QueueCounts, type QueueSnapshot, type RedisHealth, type ScheduleInfo, type Snapshot, type WorkerInfo} from '../common/types.js';

type Reply = [Error | null, unknown];

/** Commands per queue, in the order `readQueue` consumes their replies. */
const PER_QUEUE = JOB_STATES.length + 2;

/**
 * When the job next in line became due, in epoch ms (nil when none waits):
 * the tail of `wait` (BullMQ takes jobs from there) and the head of
 * `prioritized`, the earlier of the two. Due is the job's timestamp plus the
 * delay in its options (BullMQ zeroes the hash's own `delay` field when it
 * promotes a delayed job); a job that already ran (a retry) is due no earlier
 * than its last start. Reads four keys at most, whatever the queue holds.
 * KEYS: wait, prioritized; ARGV: the queue's job key prefix.
 */
const OLDEST_DUE = `
local function due(id)
  if not id then return false end
  local fields = redis.call('HMGET', ARGV[1] .. id, 'timestamp', 'opts', 'processedOn')
  local at = tonumber(fields[1])
  if not at then return false end
  if fields[2] then
    local ok, opts = pcall(cjson.decode, fields[2])
    if ok and type(opts) == 'table' and tonumber(opts['delay']) then at = at + tonumber(opts['delay']) end
  end
  local processed = tonumber(fields[3])
  if processed and processed > at then at = processed end
  return at
end
local oldest = due(redis.call('LINDEX', KEYS[1], -1))
local other = due(redis.call('ZRANGE', KEYS[2], 0, 0)[1])
if other and (not oldest or other < oldest) then oldest = other end
return oldest`;

const OLDEST_DUE_SHA = createHash('sha1').update(OLDEST_DUE).digest('hex');
/**
 * The clients whose server has run OLDEST_DUE (Redis keeps a script EVAL ran): they send its SHA1
 * (EVALSHA), not its text, about 900 bytes a queue every refresh. A server that has forgotten it
 * (restarted, SCRIPT FLUSH) answers NOSCRIPT, and those queues are read again with EVAL.
 */
const knowsScript = new WeakSet<object>();

function queueCommands(pipeline: ReturnType<Redis['pipeline']>, prefix: string, queue: string, bySha: boolean): void {
	for (const state of JOB_STATES) {
		const key = stateKey(prefix, queue, state);
		if (state === 'waiting' || state === 'active') pipeline.llen(key);
		else pipeline.zcard(key);
	}
	// BullMQ's isPaused() is HEXISTS meta paused; `version` tells the meta hash exists.
	pipeline.hmget(queueKey(prefix, queue, 'meta'), 'paused', 'version');
	// Not a defined command: an ioredis pipeline with one checks SCRIPT EXISTS first (a second round trip).
	const keys = [stateKey(prefix, queue, 'waiting'), stateKey(prefix, queue, 'prioritized'), queueKey(prefix, queue, '')] as const;
	if (bySha) pipeline.evalsha(OLDEST_DUE_SHA, 2, ...keys);
	else pipeline.eval(OLDEST_DUE, 2, ...keys);
}

/**
 * Runs the queue commands of `queues` in `pipeline` (after what it already holds) and returns all
 * its replies; the queues whose script the server had forgotten are read again by EVAL.
 */
async function execQueueCommands(connection: Connection, pipeline: ReturnType<Redis['pipeline']>, queues: readonly string[], after: (pipeline: ReturnType<Redis['pipeline']>) => void = () => undefined): Promise<Reply[]> {
	const {client, prefix} = connection;
	const bySha = knowsScript.has(client);
	for (const queue of queues) queueCommands(pipeline, prefix, queue, bySha);
	after(pipeline);
	const replies = ((await pipeline.exec()) ?? []) as Reply[];
	const scriptAt = (index: number) => index * PER_QUEUE + PER_QUEUE - 1;
	const forgotten = queues.map((_, index) => index).filter(index => replies[scriptAt(index)]?.[0]?.message.startsWith('NOSCRIPT'));
	if (forgotten.length > 0) {
		knowsScript.delete(client);
		const again = client.pipeline();
		for (const index of forgotten) queueCommands(again, prefix, queues[index]!, false);
		const fresh = ((await again.exec()) ?? []) as Reply[];
		forgotten.forEach((index, nth) => {
			replies[scriptAt(index)] = fresh[(nth + 1) * PER_QUEUE - 1]!;
		});
	}
	if (queues.some((_, index) => replies[scriptAt(index)]?.[0] === null)) knowsScript.add(client);
	return replies;
}

function value(reply: Reply | undefined): unknown {
	if (!reply) throw new Error('missing pipeline reply');
	if (reply[0]) throw reply[0];
	return reply[1];
}

/** The age of the job next in line; null when none waits, or when the script was refused (`refused` gets why). */
function oldestWait(reply: Reply | undefined, now: number, refused: string[]): number | null {
	if (reply?.[0]) {
		refused.push(reply[0].message);
		return null;
	}
	const due = reply?.[1];
	return due === null || due === undefined ? null : Math.max(0, now - Number(due));
}

function readQueue(replies: Reply[], offset: number, name: string, threshold: number | null, now: number, refused: string[]): QueueSnapshot {
	const counts = {} as QueueCounts;
	JOB_STATES.forEach((state, index) => {
		counts[state] = Number(value(replies[offset + index]));
	});
	const [paused, version] = value(replies[offset + JOB_STATES.length]) as [string | null, string | null];
	const oldestWaitMs = oldestWait(replies[offset + JOB_STATES.length + 1], now, refused);
	const size = counts.waiting + counts.prioritized + counts.delayed + counts.active;
	const total = Object.values(counts).reduce((sum, count) => sum + count, 0);
	return {
		name,
		paused: paused !== null,
		counts,
		workers: 0,
		threshold,
		size,
		overThreshold: threshold !== null && size >= threshold,
		exists: version !== null || paused !== null || total > 0,
		oldestWaitMs,
	};
}

type NodeReport = {info: Map<string, string> | null; clients: string | null; errors: string[]};

function readNode(infoReply: Reply | undefined, clientReply: Reply | undefined): NodeReport {
	const errors: string[] = [];
	let info: Map<string, string> | null = null;
	let clients: string | null = null;
	if (infoReply?.[0]) errors.push(`INFO: ${infoReply[0].message}`);
	else if (infoReply) info = parseInfo(String(infoReply[1]));
	if (clientReply?.[0]) errors.push(`CLIENT LIST: ${clientReply[0].message}`);
	else if (clientReply) clients = String(clientReply[1]);
	return {info, clients, errors};
}

function health(connection: Connection, mode: RedisHealth['mode'], nodes: NodeReport[], latencyMs: number): RedisHealth {
	const infos = nodes.map(node => node.info).filter((info): info is Map<string, string> => info !== null);
	const first = infos[0] ?? new Map<string, string>();
	return {
		url: connection.where,
		mode,
		role: first.get('role') ?? 'unknown',
		version: first.get('redis_version') ?? first.get('valkey_version') ?? 'unknown',
		usedMemory: infos.reduce((sum, info) => sum + infoNumber(info, 'used_memory'), 0),
		maxMemory: infos.reduce((sum, info) => sum + infoNumber(info, 'maxmemory'), 0),
		evictionPolicy: first.get('maxmemory_policy') ?? 'unknown',
		nodes: nodes.length,
		uptimeSeconds: infoNumber(first, 'uptime_in_seconds'),
		connectedClients: infos.reduce((sum, info) => sum + infoNumber(info, 'connected_clients'), 0),
		persistence: {
			aof: first.get('aof_enabled') === '1',
			rdb: first.has('rdb_last_save_time') && first.get('rdb_changes_since_last_save') !== undefined && first.get('rdb_saves') !== '0',
		},
		latencyMs,
	};
}

/**
 * Reads the state of `queues` (names in display order) and, unless
 * `onlyTheseQueues`, of every queue recorded in the registry too. One pipeline
 * on a single server (a second, for the new names only, when the registry
 * holds queues the caller did not know); on a Cluster the key pipeline goes to
 * the node owning the prefix's hash slot and INFO/CLIENT LIST to every master,
 * in parallel.
 */
type Round = {keyReplies: Reply[]; nodeReports: NodeReport[]; names: string[]; latencyMs: number};

/** The one pipelined round trip (a second one only for queues recorded in Redis but not configured). */
async function readRound(connection: Connection, config: Config, queues: readonly string[], onlyTheseQueues: boolean): Promise<Round> {
	const {prefix} = connection;
	const started = performance.now();
	const keyPipeline = connection.client.pipeline();
	const {schedules} = config;
	const rest = (pipeline: ReturnType<Redis['pipeline']>) => {
		for (const schedule of schedules) pipeline.zscore(queueKey(prefix, schedule.queue, 'repeat'), schedule.id);
		if (!onlyTheseQueues) pipeline.smembers(registryKey(prefix));
	};
	let keyReplies: Reply[];
	let nodeReports: NodeReport[];
	let names = [...queues];
	try {
		if (connection.isCluster) {
			const masters = connection.nodes();
			const [keys, ...perNode] = await Promise.all([execQueueCommands(connection, keyPipeline, queues, rest), ...masters.map(node => node.pipeline().info().client('LIST').exec())]);
			keyReplies = keys;
			nodeReports = perNode.map(replies => readNode(replies?.[0] as Reply, replies?.[1] as Reply));
		} else {
			const replies = await execQueueCommands(connection, keyPipeline, queues, pipeline => {
				rest(pipeline);
				pipeline.info();
				pipeline.client('LIST');
			});
			keyReplies = replies.slice(0, replies.length - 2);
			nodeReports = [readNode(replies[replies.length - 2], replies[replies.length - 1])];
		}
		if (!onlyTheseQueues) {
			const recorded = value(keyReplies[queues.length * PER_QUEUE + schedules.length]) as string[];
			const extra = mergeQueueNames(queues, recorded).slice(queues.length);
			if (extra.length > 0) {
				const moreReplies = await execQueueCommands(connection, connection.client.pipeline(), extra);
				keyReplies = [...keyReplies.slice(0, queues.length * PER_QUEUE), ...moreReplies, ...keyReplies.slice(queues.length * PER_QUEUE)];
				names = [...names, ...extra];
			}
		}
	} catch (error) {
		throw toUserError(error, connection.where);
	}
	return {keyReplies, nodeReports, names, latencyMs: Math.round((performance.now() - started) * 100) / 100};
}

/**
 * A Cluster client names its connection alike on every node it talks to: like BullMQ's
 * getWorkers, each queue is counted on the node that sees the most. Sets `queue.workers`.
 */
function countWorkers(queues: QueueSnapshot[], nodeReports: readonly NodeReport[], prefix: string, names: readonly string[]): WorkerInfo[] {
	const perNode = nodeReports.map(report => (report.clients === null ? [] : workersFromClientList(report.clients, prefix, names)));
	const workers: WorkerInfo[] = [];
	for (const queue of queues) {
		const best = perNode.map(list => list.filter(worker => worker.queue === queue.name)).reduce<WorkerInfo[]>((most, list) => (list.length > most.length ? list : most), []);
		queue.workers = best.length;
		workers.push(...best);
	}
	return workers;
}

export async function takeSnapshot(
	connection: Connection,
	config: Config,
	queues: readonly string[],
	options: {onlyTheseQueues?: boolean} = {},
): Promise<Snapshot> {
	const {keyReplies, nodeReports, names, latencyMs} = await readRound(connection, config, queues, options.onlyTheseQueues === true);
	const now = Date.now();
	const refused: string[] = [];
	let snapshotQueues: QueueSnapshot[];
	let scheduleInfos: ScheduleInfo[];
	try {
		snapshotQueues = names.map((name, index) => readQueue(keyReplies, index * PER_QUEUE, name, config.monitor[name] ?? null, now, refused));
		scheduleInfos = config.schedules.map((schedule, index) => {
			const score = value(keyReplies[names.length * PER_QUEUE + index]);
			return {id: schedule.id, queue: schedule.queue, cron: schedule.cron, timezone: schedule.timezone ?? config.timezone, configured: true, inRedis: score !== null, nextRun: score === null ? null : Number(score)};
		});
	} catch (error) {
		throw toUserError(error, connection.where);
	}
	const warnings: string[] = [];
	// A user without @scripting still gets the counts: the ages are null, and this says why.
	if (refused[0]) warnings.push(`cannot read how long jobs have waited (oldestWaitMs): ${refused[0]}`);
	for (const report of nodeReports) for (const message of report.errors) warnings.push(`cannot read ${message}`);
	const workers = countWorkers(snapshotQueues, nodeReports, connection.prefix, names);
	const mode: RedisHealth['mode'] = connection.isCluster ? 'cluster' : config.redis.kind === 'sentinel' ? 'sentinel' : 'standalone';
	const redis = health(connection, mode, nodeReports, latencyMs);
	if (redis.evictionPolicy !== 'noeviction' && redis.evictionPolicy !== 'unknown') {
		warnings.push(`maxmemory-policy is ${redis.evictionPolicy}: Redis may evict queue keys and lose jobs; set it to noeviction`);
	}
	return {redis, queues: snapshotQueues, workers, schedules: scheduleInfos, warnings, generatedAt: new Date().toISOString()};
}
