/**
 * Connections to Redis: one server by URL (redis://, rediss://, user/password,
 * db), Sentinel, or Cluster. Every connection a command opens fails fast with a
 * bounded connect timeout; workers get BullMQ's "retry for ever" settings.
 * Passwords are registered with the redactor the moment they are seen.
 */
import {readFileSync} from 'node:fs';
import net from 'node:net';
import {connect as tlsConnect, type ConnectionOptions} from 'node:tls';
import {Redis, Cluster, type RedisOptions, type ClusterOptions} from 'ioredis';
import {UserError, fileError} from '../errors.js';
import type {Config} from '../config.js';
import {redactUrl, registerSecret} from '../common/redact.js';
import {connectError, toUserError} from './redis-errors.js';
import {atMost} from '../util/bounded.js';

/** What the connection is for; it decides timeouts and retry behaviour. */
export type Purpose =
	/** a one-shot command: every command has a deadline, never retry for ever */
	| 'command'
	/** the console: fail fast at start, deadlines on every poll, reconnect with backoff afterwards */
	| 'console'
	/** a blocking reader (events): a deadline to connect, none on the blocking read */
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

/**
 * Timeouts and retries by purpose. A one-shot command and the console give
 * every command a deadline (config "redisTimeout", 5 s by default): a server
 * that accepts connections but never answers (SIGSTOPped, swapping, stuck in a
 * script) is an error within seconds, not a hang. Workers keep BullMQ's policy
 * of waiting and reconnecting for ever.
 */
function baseOptions(purpose: Purpose, config: Config): RedisOptions {
	const deadline = Math.round(config.redisTimeout * 1000);
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
			commandTimeout: deadline,
			retryStrategy: (times: number) => Math.min(200 * 2 ** Math.min(times, 6), 5000),
		};
	}
	return {
		...options,
		maxRetriesPerRequest: 0,
		retryStrategy: () => null,
		...(purpose === 'command' ? {commandTimeout: deadline} : {}),
	};
}

/** Node's TLS options from the config's CA, client certificate and server name (files read now). */
function tlsOptions(config: Config): ConnectionOptions {
	const tls = config.tls;
	const read = (file: string | undefined, what: string): Buffer | undefined => {
		if (!file) return undefined;
		try {
			return readFileSync(file);
		} catch (error) {
			const fault = fileError(error, `read the TLS ${what}`, file);
			throw fault instanceof UserError ? new UserError('config', fault.message, fault.hint) : fault;
		}
	};
	if (!tls) return {};
	const ca = read(tls.ca, 'CA file');
	const cert = read(tls.cert, 'client certificate');
	const key = read(tls.key, 'client key');
	return {
		...(ca ? {ca} : {}),
		...(cert ? {cert} : {}),
		...(key ? {key} : {}),
		...(tls.servername ? {servername: tls.servername} : {}),
	};
}

/** Whether the target speaks TLS: a rediss:// URL (for Sentinel, its "url"; for Cluster, the first node). */
function usesTls(config: Config): boolean {
	const target = config.redis;
	if (target.kind === 'url') return /^rediss:/i.test(target.url);
	if (target.kind === 'sentinel') return /^rediss:/i.test(target.url ?? '');
	return /^rediss:/i.test(target.nodes[0] ?? '');
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
	const options = baseOptions(purpose, config);
	const tls = usesTls(config) ? {tls: tlsOptions(config)} : {};
	if (target.kind === 'url') {
		const where = redactUrl(target.url);
		const {password} = credentialsOf(target.url);
		registerSecret(password);
		const client = new Redis(target.url, {
			...options,
			...tls,
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
			...tls,
			// TLS to the master when its URL says rediss://; to the sentinels when theirs do.
			...(creds.tls ? {enableTLSForSentinelMode: true} : {}),
			...(target.sentinels.some(entry => /^rediss:/i.test(entry)) ? {sentinelTLS: tlsOptions(config)} : {}),
			// Follow a failover at once (+switch-master from the sentinels) instead of only when the
			// old master is demoted and drops us some 10 s later, its completions lost meanwhile.
			...(purpose === 'worker' || purpose === 'console' ? {failoverDetector: true} : {}),
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
			...tls,
		},
		enableReadyCheck: purpose === 'worker',
		clusterRetryStrategy: purpose === 'worker' || purpose === 'console' ? (times: number) => Math.min(times * 200, 5000) : () => null,
		...(purpose === 'worker' ? {} : {maxRedirections: 4}),
	};
	const client = new Cluster(target.nodes.map(entry => parseHostPort(entry)), clusterOptions);
	return {client, where: `cluster ${target.nodes.map(entry => redactUrl(entry)).join(',')}`, isCluster: true};
}

/**
 * ioredis listens for its socket's first error only (`once`): a TLS server that refuses a
 * client without a certificate sends its alert, then resets the connection, and that second
 * error would have no listener and end the process (exit 1, a stack trace) before the first is
 * reported. Once the first has come, later errors of the same socket are expected: ignored.
 */
function keepStreamErrorsHandled(client: Redis | Cluster): void {
	const stream = (client as unknown as {stream?: NodeJS.EventEmitter}).stream;
	if (stream && !handledStreams.has(stream)) {
		handledStreams.add(stream);
		stream.on('error', () => undefined);
	}
}
const handledStreams = new WeakSet<NodeJS.EventEmitter>();

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
		keepStreamErrorsHandled(client);
	});
	try {
		// Authentication errors arrive after the socket connects; a PING
		// surfaces them (and CLUSTERDOWN) before any real work starts.
		const ready = (async () => {
			await client.connect();
			await client.ping();
		})();
		ready.catch(() => {}); // when the deadline wins, its later rejection is expected
		// A server that accepts the connection but never answers (stopped, swapping) must
		// not hold a command or the console: connecting (ioredis waits for its CLIENT SETINFO
		// replies) and the PING share one deadline, that of every command.
		if (purpose === 'worker') await ready;
		else await withDeadline(ready, Math.round(config.redisTimeout * 1000));
	} catch (error) {
		client.disconnect();
		const tls = usesTls(config);
		const failure = connectError(error, lastError, where, tls);
		if (failure instanceof UserError && failure.code === 'redis-unreachable' && config.redis.kind === 'url') {
			const {host, port} = parseHostPort(config.redis.url);
			// A TLS client talking to a plain port waits for a handshake that never comes (a timeout);
			// a plain client talking to a TLS port is reset. Asking the port the other way tells.
			if (tls && (await answersPlainText(host, port))) {
				throw new UserError('redis-tls', `Redis at ${where} is a plain-text port, not TLS: the TLS handshake got no answer`, 'use redis:// for this port, or the server\'s TLS port (tls-port) with rediss://', {cause: error});
			}
			if (!tls && (await speaksTls(host, port))) {
				throw new UserError('redis-tls', `Redis at ${where} speaks TLS: a plain-text connection is reset`, 'use rediss:// for this port (with --tls-ca for a private CA, --tls-cert/--tls-key if it asks for a client certificate)', {cause: error});
			}
		}
		throw failure;
	}
	const connection: Connection = {
		client,
		isCluster,
		prefix: config.prefix,
		where,
		nodes: () => (client instanceof Cluster ? client.nodes('master') : [client]),
		duplicate: async (next = purpose) => connect(config, next),
		close: async () => {
			// QUIT, briefly (a rejection: already closed; a stalled server never answers it);
			// then the socket goes either way.
			await atMost(client.quit(), 300);
			client.disconnect();
		},
	};
	return connection;
}

export {toUserError} from './redis-errors.js';

/**
 * Runs a pipeline in its one round trip and returns its replies' values; the round trip's
 * error, or the first error among the replies, becomes the contract's error (exit 3/4/5).
 */
export async function execValues(connection: Connection, pipeline: ReturnType<Connection['client']['pipeline']>): Promise<unknown[]> {
	try {
		const replies = ((await pipeline.exec()) ?? []) as Array<[Error | null, unknown]>;
		return replies.map(([error, value]) => {
			if (error) throw error;
			return value;
		});
	} catch (error) {
		throw toUserError(error, connection.where);
	}
}

/** Whether host:port completes a TLS handshake (any certificate): asked only after a plain connect failed. */
async function speaksTls(host: string, port: number): Promise<boolean> {
	return new Promise(resolve => {
		const socket = tlsConnect({host, port, rejectUnauthorized: false, ...(net.isIP(host) ? {} : {servername: host})});
		const done = (answer: boolean) => {
			socket.destroy();
			resolve(answer);
		};
		socket.setTimeout(500, () => done(false));
		socket.on('secureConnect', () => done(true));
		socket.on('error', () => done(false));
		socket.on('close', () => done(false));
	});
}

/** `promise`, or ioredis's own "Command timed out" error once `ms` have passed. */
async function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	const late = new Promise<never>((_resolve, reject) => {
		timer = setTimeout(() => reject(new Error('Command timed out')), ms);
	});
	try {
		return await Promise.race([promise, late]);
	} finally {
		clearTimeout(timer);
	}
}

/**
 * Whether host:port answers a plain-text PING: told apart from a server that
 * is down, it means a rediss:// URL points at a plain (non-TLS) port. Asked
 * only after a TLS connect failed, for at most half a second.
 */
async function answersPlainText(host: string, port: number): Promise<boolean> {
	return new Promise(resolve => {
		const socket = net.connect({host, port});
		let reply = '';
		const done = (answer: boolean) => {
			socket.destroy();
			resolve(answer);
		};
		socket.setTimeout(500, () => done(false));
		socket.on('connect', () => socket.write('PING\r\n'));
		socket.on('data', chunk => {
			reply += chunk.toString('latin1');
			if (reply.includes('\r\n')) done(/^(\+PONG|-NOAUTH|-ERR|-WRONGPASS)/.test(reply));
		});
		socket.on('error', () => done(false));
		socket.on('close', () => done(false));
	});
}
