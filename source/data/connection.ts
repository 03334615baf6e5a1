/**
 * Connections to Redis: one server by URL (redis://, rediss://, user/password,
 * db), Sentinel, or Cluster. Every connection a command opens fails fast with a
 * bounded connect timeout; workers get BullMQ's "retry for ever" settings.
 * Passwords are registered with the redactor the moment they are seen.
 */
import {Redis, Cluster, type RedisOptions, type ClusterOptions} from 'ioredis';
import {UserError} from '../errors.js';
import type {Config} from '../config.js';
import {redact, redactUrl, registerSecret} from './redact.js';
import {atMost} from '../util/bounded.js';

/** What the connection is for; it decides timeouts and retry behaviour. */
export type Purpose =
	/** a one-shot command: fail within seconds, never retry for ever */
	| 'command'
	/** the console: fail fast at start, reconnect with backoff afterwards */
	| 'console'
	/** a blocking reader (events): no command timeout */
	| 'blocking'
	/** a BullMQ worker/scheduler: maxRetriesPerRequest null, reconnect for ever */
	| 'worker';

export type RedisClient = Redis | Cluster;

/** An open connection and what the data layer needs to know about it. */
export type Connection = {
	client: RedisClient;
	isCluster: boolean;
	prefix: string;
	/** Where we are connected, with any password replaced by ***. */
	where: string;
	/** The servers to ask node-local questions (INFO, CLIENT LIST): every master. */
	nodes(): Redis[];
	/** A second connection with the same settings (e.g. for a blocking read). */
	duplicate(purpose?: Purpose): Promise<Connection>;
	close(): Promise<void>;
};

/** The connect timeout for commands and the console, in ms. */
export const CONNECT_TIMEOUT_MS = 3000;

const hasHashTag = (prefix: string): boolean => /\{[^}]+\}/.test(prefix);

function baseOptions(purpose: Purpose): RedisOptions {
	const options: RedisOptions = {
		lazyConnect: true,
		connectTimeout: CONNECT_TIMEOUT_MS,
		enableReadyCheck: purpose === 'worker',
	};
	if (purpose === 'worker') {
		return {...options, maxRetriesPerRequest: null, connectTimeout: 10_000};
	}
	if (purpose === 'console') {
		return {
			...options,
			maxRetriesPerRequest: 1,
			commandTimeout: 10_000,
			retryStrategy: (times: number) => Math.min(200 * 2 ** Math.min(times, 6), 5000),
		};
	}
	return {
		...options,
		maxRetriesPerRequest: 0,
		retryStrategy: () => null,
		...(purpose === 'command' ? {commandTimeout: 15_000} : {}),
	};
}

function parseHostPort(entry: string): {host: string; port: number} {
	const text = entry.replace(/^rediss?:\/\//, '').replace(/^[^@]*@/, '').replace(/\/.*$/, '');
	const match = /^\[?([^\]]*?)\]?:(\d+)$/.exec(text);
	if (!match) return {host: text, port: 6379};
	return {host: match[1]!, port: Number(match[2])};
}

function credentialsOf(url: string | undefined): {username?: string; password?: string; tls: boolean} {
	if (!url) return {tls: false};
	try {
		const parsed = new URL(url);
		return {
			...(parsed.username ? {username: decodeURIComponent(parsed.username)} : {}),
			...(parsed.password ? {password: decodeURIComponent(parsed.password)} : {}),
			tls: parsed.protocol === 'rediss:',
		};
	} catch {
		return {tls: false};
	}
}

function createClient(config: Config, purpose: Purpose): {client: RedisClient; where: string; isCluster: boolean} {
	const target = config.redis;
	registerSecret(config.password);
	const options = baseOptions(purpose);
	if (target.kind === 'url') {
		const where = redactUrl(target.url);
		const {password} = credentialsOf(target.url);
		registerSecret(password);
		const client = new Redis(target.url, {
			...options,
			...(password === undefined && config.password ? {password: config.password} : {}),
		});
		return {client, where, isCluster: false};
	}
	if (target.kind === 'sentinel') {
		const creds = credentialsOf(target.url);
		registerSecret(creds.password);
		const password = creds.password ?? config.password;
		const client = new Redis({
			...options,
			sentinels: target.sentinels.map(entry => parseHostPort(entry)),
			name: target.name,
			...(creds.username ? {username: creds.username} : {}),
			...(password ? {password, sentinelPassword: password} : {}),
			...(creds.tls ? {tls: {}} : {}),
			sentinelRetryStrategy: purpose === 'worker' || purpose === 'console' ? (times: number) => Math.min(times * 500, 5000) : () => null,
		});
		return {client, where: `sentinel ${target.name} via ${target.sentinels.map(entry => redactUrl(entry)).join(',')}`, isCluster: false};
	}
	if (!hasHashTag(config.prefix)) {
		throw new UserError(
			'redis-misconfigured',
			`prefix "${config.prefix}" has no hash tag, so a queue's keys would land on different Cluster nodes`,
			'set "prefix" to a hash-tagged name such as "{saccos}" (every BullMQ application using these queues must use the same prefix)',
		);
	}
	const creds = credentialsOf(target.nodes[0]);
	for (const node of target.nodes) registerSecret(credentialsOf(node).password);
	const password = creds.password ?? config.password;
	const {lazyConnect, retryStrategy, ...redisOptions} = options;
	void retryStrategy;
	const clusterOptions: ClusterOptions = {
		lazyConnect,
		redisOptions: {
			...redisOptions,
			...(creds.username ? {username: creds.username} : {}),
			...(password ? {password} : {}),
			...(creds.tls ? {tls: {}} : {}),
		},
		enableReadyCheck: purpose === 'worker',
		clusterRetryStrategy: purpose === 'worker' || purpose === 'console' ? (times: number) => Math.min(times * 200, 5000) : () => null,
		...(purpose === 'worker' ? {} : {maxRedirections: 4}),
	};
	const client = new Cluster(target.nodes.map(entry => parseHostPort(entry)), clusterOptions);
	return {client, where: `cluster ${target.nodes.map(entry => redactUrl(entry)).join(',')}`, isCluster: true};
}

/**
 * Opens a connection and waits until it is usable. Redis down, a wrong
 * password or an incompatible server become UserErrors with the contract's
 * exit codes (3, 4, 5), never a stack trace.
 */
export async function connect(config: Config, purpose: Purpose = 'command'): Promise<Connection> {
	const {client, where, isCluster} = createClient(config, purpose);
	// ioredis emits 'error' while it (re)connects; the awaited call below
	// reports the failure, so the event only needs a listener.
	let lastError: Error | undefined;
	client.on('error', (error: Error) => {
		lastError = error;
	});
	try {
		await client.connect();
		// Authentication errors arrive after the socket connects; a PING
		// surfaces them (and CLUSTERDOWN) before any real work starts.
		await client.ping();
	} catch (error) {
		client.disconnect();
		// "Connection is closed" hides the cause (ECONNREFUSED, WRONGPASS…) in the error event.
		const closed = error instanceof Error && /Connection is closed/.test(error.message);
		throw toUserError(closed && lastError ? lastError : error, where);
	}
	const connection: Connection = {
		client,
		isCluster,
		prefix: config.prefix,
		where,
		nodes: () => (client instanceof Cluster ? client.nodes('master') : [client]),
		duplicate: async (next = purpose) => connect(config, next),
		close: async () => {
			// QUIT, for at most a second (a rejection: already closed); then the socket goes either way.
			await atMost(client.quit(), 1000);
			client.disconnect();
		},
	};
	return connection;
}

const unreachable = /ECONNREFUSED|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ECONNRESET|EPIPE|Connection is closed|connect ETIMEDOUT|Command timed out|max retries|All sentinels are unreachable|Failed to refresh slots cache|ClusterAllFailedError|None of startup nodes is available|Stream isn't writeable/i;
const denied = /NOAUTH|WRONGPASS|NOPERM|invalid password|AUTH.*without any password|invalid username-password/i;
const misconfigured = /Protocol error|CROSSSLOT|CLUSTERDOWN|cluster support disabled|MOVED|ASK |LOADING|READONLY|MISCONF|OOM command not allowed|unknown command|ERR unknown subcommand|wrong number of arguments/i;

/**
 * Maps a Redis/ioredis error to a UserError with the right exit code, or
 * returns the error unchanged (a bug) when it is none of the known kinds.
 * The message is redacted: ioredis may echo AUTH arguments.
 */
export function toUserError(error: unknown, where: string): unknown {
	if (error instanceof UserError) return error;
	const err = error as NodeJS.ErrnoException & {lastNodeError?: Error};
	const message = redact(`${err?.message ?? String(error)}${err?.lastNodeError ? `: ${err.lastNodeError.message}` : ''}`).split('\n')[0]!;
	const text = `${err?.code ?? ''} ${message}`;
	if (denied.test(text)) {
		return new UserError('redis-auth', `Redis at ${where} refused the credentials: ${message}`, 'check the password in the URL, REDIS_PASSWORD or the config file, and the ACL user\'s permissions');
	}
	if (misconfigured.test(text)) {
		return new UserError('redis-misconfigured', `Redis at ${where} cannot serve this request: ${message}`, 'run `saccos-queue doctor` to check the server and the prefix');
	}
	if (unreachable.test(text)) {
		// ioredis's MaxRetriesPerRequestError names an option, not what happened.
		const plain = /max retries per request/i.test(message) ? 'the connection is lost and reconnecting has not worked' : message;
		return new UserError('redis-unreachable', `cannot reach Redis at ${where}: ${plain}`, 'is redis-server running? check --redis / REDIS_URL and the firewall');
	}
	return error;
}
