/**
 * A snapshot of every queue in ONE pipelined round trip, whatever the number
 * of queues (one per node on a Cluster): one read-only script per queue that
 * reads its counts, its meta hash and the age of the job next in line (eleven
 * reads at most: QUEUE_READ), one ZSCORE per configured schedule, plus one
 * INFO and one CLIENT LIST per node.
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
type Pipeline = ReturnType<Redis['pipeline']>;

/**
 * One queue's state in one command: the count of every state (LLEN for the lists, ZCARD for the
 * sorted sets), the `paused` and `version` fields of the meta hash (BullMQ's isPaused() is HEXISTS
 * meta paused; `version` tells the hash exists), and when the job next in line became due, in
 * epoch ms: the tail of `wait` (BullMQ takes jobs from there) and the head of `prioritized`, the
 * earlier of the two. Due is the job's timestamp plus the delay in its options (BullMQ zeroes the
 * hash's own `delay` field when it promotes a delayed job); a job that already ran (a retry) is
 * due no earlier than its last start. Eleven reads at most, whatever the queue holds; a missing
 * field or no job next in line is false (nil in the reply).
 * KEYS: the states in JOB_STATES order, then meta; ARGV: the queue's job key prefix.
 */
const QUEUE_READ = `
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
local reply = {redis.call('LLEN', KEYS[1]), redis.call('LLEN', KEYS[2])}
for i = 3, 7 do reply[i] = redis.call('ZCARD', KEYS[i]) end
local meta = redis.call('HMGET', KEYS[8], 'paused', 'version')
reply[8] = meta[1]
reply[9] = meta[2]
local oldest = due(redis.call('LINDEX', KEYS[1], -1))
local other = due(redis.call('ZRANGE', KEYS[4], 0, 0)[1])
if other and (not oldest or other < oldest) then oldest = other end
reply[10] = oldest
return reply`;
const QUEUE_READ_SHA = createHash('sha1').update(QUEUE_READ).digest('hex');

/**
 * How each client's server takes QUEUE_READ: by its SHA1 (EVALSHA) once it has run it (Redis keeps
 * a script EVAL ran; the text is ~1 KB a queue every refresh), or not at all (a user without
 * @scripting, a Cluster whose queue keys are not in one slot): then each queue is read by plain
 * commands, without the wait, and the reason is kept for the snapshot's warning (for a minute,
 * then the script is tried again).
 */
const scriptState = new WeakMap<object, {known: true} | {refused: string; at: number}>();
/** A refusal is tried again after this long (it may have been a server still loading). */
const RETRY_REFUSED_MS = 60_000;

/** The keys QUEUE_READ reads for a queue, built once. */
const keysOf = new Map<string, string[]>();
function queueKeys(prefix: string, queue: string): string[] {
	const id = `${prefix}\n${queue}`;
	let keys = keysOf.get(id);
	if (keys === undefined) {
		keys = [...JOB_STATES.map(state => stateKey(prefix, queue, state)), queueKey(prefix, queue, 'meta'), queueKey(prefix, queue, '')];
		if (keysOf.size > 10_000) keysOf.clear();
		keysOf.set(id, keys);
	}
	return keys;
}

// Not a defined command: an ioredis pipeline with one checks SCRIPT EXISTS first (a second round trip).
function scriptCommand(pipeline: Pipeline, prefix: string, queue: string, bySha: boolean): void {
	const keys = queueKeys(prefix, queue);
	if (bySha) pipeline.evalsha(QUEUE_READ_SHA, JOB_STATES.length + 1, ...keys);
	else pipeline.eval(QUEUE_READ, JOB_STATES.length + 1, ...keys);
}

/** Commands per queue when scripts are refused: a count per state and HMGET meta. */
const PLAIN_PER_QUEUE = JOB_STATES.length + 1;
function plainCommands(pipeline: Pipeline, prefix: string, queue: string): void {
	const keys = queueKeys(prefix, queue);
	JOB_STATES.forEach((state, index) => {
		if (state === 'waiting' || state === 'active') pipeline.llen(keys[index]!);
		else pipeline.zcard(keys[index]!);
	});
	pipeline.hmget(keys[JOB_STATES.length]!, 'paused', 'version');
}

/** A queue as read: QUEUE_READ's reply, or the plain commands' (and why the wait is unknown). */
type QueueRead = {script: Reply} | {plain: Reply[]; refused: string};

/**
 * Reads `queues` in `pipeline`, with `after`'s commands after them in the same round trip; returns
 * each queue's read and the replies of `after`'s commands. A queue
 * whose script the server forgot (restart, SCRIPT FLUSH) is read again by EVAL; one whose script
 * was refused, by plain commands — both in one more round trip, once.
 */
async function readQueues(connection: Connection, pipeline: Pipeline, queues: readonly string[], after: (pipeline: Pipeline) => void = () => undefined): Promise<{reads: QueueRead[]; rest: Reply[]}> {
	const {client, prefix} = connection;
	const state = scriptState.get(client);
	if (state && 'refused' in state && Date.now() - state.at < RETRY_REFUSED_MS) {
		for (const queue of queues) plainCommands(pipeline, prefix, queue);
		after(pipeline);
		const replies = ((await pipeline.exec()) ?? []) as Reply[];
		const reads = queues.map((_, index): QueueRead => ({plain: replies.slice(index * PLAIN_PER_QUEUE, (index + 1) * PLAIN_PER_QUEUE), refused: state.refused}));
		return {reads, rest: replies.slice(queues.length * PLAIN_PER_QUEUE)};
	}
	for (const queue of queues) scriptCommand(pipeline, prefix, queue, state !== undefined && 'known' in state);
	after(pipeline);
	const replies = ((await pipeline.exec()) ?? []) as Reply[];
	const reads = queues.map((_, index): QueueRead => ({script: replies[index] ?? [new Error('missing pipeline reply'), null]}));
	const forgotten: number[] = [];
	const refused: number[] = [];
	reads.forEach((read, index) => {
		const error = 'script' in read ? read.script[0] : null;
		if (error?.message.startsWith('NOSCRIPT')) forgotten.push(index);
		else if (error) refused.push(index);
	});
	if (forgotten.length + refused.length > 0) {
		const again = client.pipeline();
		for (const index of forgotten) scriptCommand(again, prefix, queues[index]!, false);
		for (const index of refused) plainCommands(again, prefix, queues[index]!);
		const fresh = ((await again.exec()) ?? []) as Reply[];
		forgotten.forEach((index, nth) => {
			reads[index] = {script: fresh[nth]!};
		});
		const base = forgotten.length;
		refused.forEach((index, nth) => {
			const reason = (reads[index] as {script: Reply}).script[0]!.message;
			reads[index] = {plain: fresh.slice(base + nth * PLAIN_PER_QUEUE, base + (nth + 1) * PLAIN_PER_QUEUE), refused: reason};
		});
	}
	const firstRefusal = refused.length > 0 ? (reads[refused[0]!] as {refused: string}).refused : undefined;
	if (firstRefusal !== undefined && refused.length === queues.length) scriptState.set(client, {refused: firstRefusal, at: Date.now()});
	else if (reads.some(read => 'script' in read && read.script[0] === null)) scriptState.set(client, {known: true});
	else if (forgotten.length > 0) scriptState.delete(client);
	return {reads, rest: replies.slice(queues.length)};
}

function value(reply: Reply | undefined): unknown {
	if (!reply) throw new Error('missing pipeline reply');
	if (reply[0]) throw reply[0];
	return reply[1];
}

function readQueue(read: QueueRead, name: string, threshold: number | null, now: number, refused: string[]): QueueSnapshot {
	let values: unknown[];
	let due: unknown = null;
	if ('script' in read) {
		values = value(read.script) as unknown[];
		due = values[JOB_STATES.length + 2];
	} else {
		values = [...JOB_STATES.map((_, index) => value(read.plain[index])), ...(value(read.plain[JOB_STATES.length]) as unknown[])];
		refused.push(read.refused);
	}
	const counts = {} as QueueCounts;
	JOB_STATES.forEach((state, index) => {
		counts[state] = Number(values[index]);
	});
	const paused = values[JOB_STATES.length] ?? null;
	const version = values[JOB_STATES.length + 1] ?? null;
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
		// When the job next in line became due; null when none waits, or when the script was refused.
		oldestWaitMs: due === null || due === undefined ? null : Math.max(0, now - Number(due)),
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
type Round = {reads: QueueRead[]; rest: Reply[]; nodeReports: NodeReport[]; names: string[]; latencyMs: number};

/** The one pipelined round trip (a second one only for queues recorded in Redis but not configured). */
async function readRound(connection: Connection, config: Config, queues: readonly string[], onlyTheseQueues: boolean): Promise<Round> {
	const {prefix} = connection;
	const started = performance.now();
	const {schedules} = config;
	// After the queues: a ZSCORE per configured schedule, then the registry of queue names.
	const keyCommands = (pipeline: Pipeline) => {
		for (const schedule of schedules) pipeline.zscore(queueKey(prefix, schedule.queue, 'repeat'), schedule.id);
		if (!onlyTheseQueues) pipeline.smembers(registryKey(prefix));
	};
	let reads: QueueRead[];
	let rest: Reply[];
	let nodeReports: NodeReport[];
	let names = [...queues];
	try {
		if (connection.isCluster) {
			const masters = connection.nodes();
			const [keys, ...perNode] = await Promise.all([readQueues(connection, connection.client.pipeline(), queues, keyCommands), ...masters.map(node => node.pipeline().info().client('LIST').exec())]);
			({reads, rest} = keys);
			nodeReports = perNode.map(replies => readNode(replies?.[0] as Reply, replies?.[1] as Reply));
		} else {
			({reads, rest} = await readQueues(connection, connection.client.pipeline(), queues, pipeline => {
				keyCommands(pipeline);
				pipeline.info();
				pipeline.client('LIST');
			}));
			nodeReports = [readNode(rest[rest.length - 2], rest[rest.length - 1])];
			rest = rest.slice(0, -2);
		}
		if (!onlyTheseQueues) {
			const recorded = value(rest[schedules.length]) as string[];
			const extra = mergeQueueNames(queues, recorded).slice(queues.length);
			if (extra.length > 0) {
				reads = [...reads, ...(await readQueues(connection, connection.client.pipeline(), extra)).reads];
				names = [...names, ...extra];
			}
		}
	} catch (error) {
		throw toUserError(error, connection.where);
	}
	return {reads, rest, nodeReports, names, latencyMs: Math.round((performance.now() - started) * 100) / 100};
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
	const {reads, rest, nodeReports, names, latencyMs} = await readRound(connection, config, queues, options.onlyTheseQueues === true);
	const now = Date.now();
	const refused: string[] = [];
	let snapshotQueues: QueueSnapshot[];
	let scheduleInfos: ScheduleInfo[];
	try {
		snapshotQueues = names.map((name, index) => readQueue(reads[index]!, name, config.monitor[name] ?? null, now, refused));
		scheduleInfos = config.schedules.map((schedule, index) => {
			const score = value(rest[index]);
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
