/**
 * Health checks of the Redis server behind the queues (the seed's
 * "Troubleshooting" section, made executable). Returns plain results; the
 * command decides how to print them. Reads only.
 */
import type {Config} from '../config.js';
import type {Connection} from './connection.js';
import {toUserError} from './connection.js';
import {parseInfo} from './info.js';
import type {RedisHealth} from '../common/types.js';

export type CheckStatus = 'ok' | 'warn' | 'fail';
export type Check = {name: string; status: CheckStatus; message: string; hint?: string};

/** Compares dotted versions: negative when a < b. */
export function compareVersions(a: string, b: string): number {
	const left = a.split('.').map(Number);
	const right = b.split('.').map(Number);
	for (let i = 0; i < Math.max(left.length, right.length); i++) {
		const delta = (left[i] ?? 0) - (right[i] ?? 0);
		if (delta !== 0 && Number.isFinite(delta)) return delta;
	}
	return 0;
}

export function versionCheck(version: string): Check {
	if (version === 'unknown') return {name: 'redis-version', status: 'warn', message: 'the server did not report its version (INFO denied?)'};
	if (compareVersions(version, '5.0.0') < 0) {
		return {name: 'redis-version', status: 'fail', message: `Redis ${version} is older than 5.0, which BullMQ requires`, hint: 'upgrade Redis to 7.x'};
	}
	if (compareVersions(version, '6.2.0') < 0) {
		return {name: 'redis-version', status: 'warn', message: `Redis ${version} works, but BullMQ recommends 6.2 or newer`, hint: 'upgrade Redis to 7.x'};
	}
	return {name: 'redis-version', status: 'ok', message: `Redis ${version}`};
}

export function evictionCheck(policy: string): Check {
	if (policy === 'noeviction') return {name: 'eviction-policy', status: 'ok', message: 'maxmemory-policy is noeviction'};
	return {
		name: 'eviction-policy',
		status: 'fail',
		message: `maxmemory-policy is ${policy}: under memory pressure Redis deletes keys, and queues lose jobs silently`,
		hint: 'set `maxmemory-policy noeviction` in redis.conf (CONFIG SET maxmemory-policy noeviction for now)',
	};
}

export function memoryCheck(used: number, max: number): Check {
	const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
	if (max <= 0) {
		return {name: 'memory-headroom', status: 'warn', message: `${mb(used)} used, no maxmemory set: Redis may grow until the OS kills it`, hint: 'set maxmemory to what the host can spare, with maxmemory-policy noeviction'};
	}
	const ratio = used / max;
	const message = `${mb(used)} of ${mb(max)} used (${Math.round(ratio * 100)}%)`;
	if (ratio >= 0.9) return {name: 'memory-headroom', status: 'fail', message, hint: 'clean old completed/failed jobs (removeOnComplete/removeOnFail) or raise maxmemory'};
	if (ratio >= 0.75) return {name: 'memory-headroom', status: 'warn', message, hint: 'plan more memory or trim completed jobs'};
	return {name: 'memory-headroom', status: 'ok', message};
}

/** Persistence advice from CONFIG GET (may be denied by ACLs) with INFO as a fallback. */
async function persistenceCheck(connection: Connection): Promise<Check> {
	const [node] = connection.nodes();
	if (!node) return {name: 'persistence', status: 'warn', message: 'no node to ask'};
	const replies = (await node.pipeline().config('GET', 'appendonly').config('GET', 'save').info('persistence').exec()) ?? [];
	const aofReply = replies[0];
	const saveReply = replies[1];
	let aof: boolean;
	let rdb: boolean | undefined;
	if (aofReply && !aofReply[0]) aof = (aofReply[1] as string[])[1] === 'yes';
	else aof = parseInfo(String(replies[2]?.[1] ?? '')).get('aof_enabled') === '1';
	if (saveReply && !saveReply[0]) rdb = ((saveReply[1] as string[])[1] ?? '').trim() !== '';
	if (aof) return {name: 'persistence', status: 'ok', message: 'AOF is on: queued jobs survive a Redis restart'};
	if (rdb) return {name: 'persistence', status: 'warn', message: 'RDB snapshots only: jobs added since the last snapshot are lost if Redis crashes', hint: 'turn on `appendonly yes` (appendfsync everysec) for the queue Redis'};
	if (rdb === undefined) return {name: 'persistence', status: 'warn', message: 'AOF is off and the RDB schedule cannot be read (CONFIG denied)', hint: 'make sure the queue Redis persists (appendonly yes)'};
	return {name: 'persistence', status: 'warn', message: 'no persistence: every queued job is lost when Redis restarts', hint: 'turn on `appendonly yes` for the queue Redis'};
}

/** Runs every Redis check; `health` comes from a snapshot taken just before. */
export async function redisChecks(connection: Connection, config: Config, health: RedisHealth, warnings: string[]): Promise<Check[]> {
	const checks: Check[] = [
		{name: 'redis-reachable', status: 'ok', message: `${health.url} (${health.mode}, ${health.nodes} node${health.nodes === 1 ? '' : 's'}) answered in ${health.latencyMs} ms`},
		versionCheck(health.version),
		evictionCheck(health.evictionPolicy),
		memoryCheck(health.usedMemory, health.maxMemory),
	];
	try {
		checks.push(await persistenceCheck(connection));
	} catch (error) {
		const failure = toUserError(error, connection.where);
		checks.push({name: 'persistence', status: 'warn', message: `cannot read persistence settings: ${(failure as Error).message}`});
	}
	checks.push({
		name: 'config',
		status: 'ok',
		message: config.file ? `${config.file} is valid (${config.queueOrder.length} queues, ${config.schedules.length} schedules)` : `no config file; built-in defaults (${config.queueOrder.join(', ')})`,
	});
	if (connection.isCluster) checks.push({name: 'cluster-prefix', status: 'ok', message: `prefix ${config.prefix} keeps each queue in one hash slot`});
	for (const warning of warnings) {
		if (!warning.startsWith('maxmemory-policy')) checks.push({name: 'permissions', status: 'warn', message: warning, hint: 'grant the ACL user INFO and CLIENT LIST to see health and workers'});
	}
	return checks;
}
