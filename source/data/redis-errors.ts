/**
 * What went wrong with Redis, told by what the error is — ioredis's error
 * classes, Node's error codes, and the first word of Redis's own reply (its
 * error prefix: WRONGPASS, NOPERM, OOM, READONLY…) — never by searching the
 * message text. Each kind becomes a UserError with its own code and exit code
 * (source/errors.ts); the message keeps Redis's own words, with only secrets
 * removed, so an operator can search for them.
 */
import {ReplyError} from 'ioredis';
import {UserError, type ErrorCode} from '../errors.js';
import {redact} from '../common/redact.js';

const codeOf = (error: unknown): string | undefined => {
	const code = (error as {code?: unknown} | undefined)?.code;
	return typeof code === 'string' && /^[A-Z][A-Z0-9_]+$/.test(code) ? code : undefined;
};

/** A Redis error reply (`-PREFIX text`), whichever copy of redis-errors made it. */
const isReply = (error: unknown): boolean =>
	error instanceof ReplyError || (error instanceof Error && error.name === 'ReplyError');

/** The error prefix of a Redis reply: its first word, e.g. "WRONGPASS". */
export const replyPrefix = (error: Error): string => /^[A-Z][A-Z_-]*/.exec(error.message)?.[0] ?? '';

type Kind = {code: ErrorCode; what: string; hint: string};

const authHint = 'check the user and password (in the URL, REDIS_PASSWORD or the config file)';

/** Redis's error prefixes that are the environment's doing, by kind. */
const byPrefix: Record<string, Kind> = {
	NOAUTH: {code: 'redis-auth', what: 'asks for a password', hint: authHint},
	WRONGPASS: {code: 'redis-auth', what: 'refused the credentials', hint: authHint},
	NOPERM: {
		code: 'redis-noperm',
		what: 'does not allow this for the ACL user',
		hint: 'the user needs these commands and keys (ACL GETUSER shows them); with a read-only user use --read-only',
	},
	OOM: {
		code: 'redis-oom',
		what: 'is out of memory (maxmemory reached) and refuses writes',
		hint: 'free memory (`saccos-queue clean` old completed jobs, `flush` failed ones), raise maxmemory, or check `saccos-queue doctor`',
	},
	READONLY: {
		code: 'redis-readonly',
		what: 'is a read-only replica',
		hint: 'point --redis / REDIS_URL at the master (or use Sentinel in the config so failovers are followed)',
	},
	MISCONF: {
		code: 'redis-readonly',
		what: 'refuses writes because it cannot save to its disk',
		hint: 'check the Redis server\'s disk and its log (stop-writes-on-bgsave-error)',
	},
	LOADING: {code: 'redis-timeout', what: 'is still loading its dataset', hint: 'wait until the server has loaded, then try again'},
	BUSY: {code: 'redis-timeout', what: 'is busy running a script', hint: 'wait, or see SCRIPT KILL in the Redis documentation'},
	MASTERDOWN: {code: 'redis-unreachable', what: 'has lost its master', hint: 'check the replication and Sentinel'},
	TRYAGAIN: {code: 'redis-timeout', what: 'is resharding', hint: 'try again in a moment'},
	CLUSTERDOWN: {code: 'redis-misconfigured', what: 'reports the cluster down', hint: 'check CLUSTER INFO on the nodes'},
	CROSSSLOT: {code: 'redis-misconfigured', what: 'refuses keys on different cluster slots', hint: 'the prefix must carry a hash tag, e.g. "{saccos}"'},
	MOVED: {code: 'redis-misconfigured', what: 'is a cluster node; the key lives elsewhere', hint: 'give the nodes as "redis": {"cluster": [...]} in the config file'},
	ASK: {code: 'redis-misconfigured', what: 'is a cluster node; the key is moving', hint: 'give the nodes as "redis": {"cluster": [...]} in the config file'},
};

/** Node/OpenSSL codes of a TLS handshake that did not verify or did not happen. */
const tlsCodes = /^(ERR_TLS_|ERR_SSL_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_|CERT_|ERR_OSSL_|EPROTO$|HOSTNAME_MISMATCH)/;

const unreachableHint = 'is redis-server running? check --redis / REDIS_URL and the firewall';

function tlsKind(errno: string, message: string): Kind {
	if (/WRONG_VERSION_NUMBER|wrong version number|packet length too long|EPROTO/i.test(`${errno} ${message}`)) {
		return {code: 'redis-tls', what: 'did not answer in TLS (is it a plain port?)', hint: 'use redis:// for a plain port, or the server\'s TLS port (tls-port) with rediss://'};
	}
	if (/ALTNAME|HOSTNAME/i.test(errno)) {
		return {code: 'redis-tls', what: 'has a certificate for another name', hint: 'give the name on the certificate with --tls-servername (or "tls": {"servername"} in the config)'};
	}
	if (/CERTIFICATE_REQUIRED|HANDSHAKE_FAILURE|BAD_CERTIFICATE|UNKNOWN_CA|ALERT/i.test(errno)) {
		return {code: 'redis-tls', what: 'did not accept our client certificate', hint: 'give a client certificate and key it trusts with --tls-cert and --tls-key'};
	}
	if (/EXPIRED|NOT_YET_VALID/i.test(errno)) {
		return {code: 'redis-tls', what: 'has a certificate that is expired or not yet valid', hint: 'renew the server\'s certificate, and check this host\'s clock'};
	}
	return {code: 'redis-tls', what: 'has a certificate that does not verify', hint: 'give the CA that signed it with --tls-ca FILE (or "tls": {"ca"} in the config)'};
}

/** The kind of a failure that is the environment's doing, or undefined (a bug). */
function kindOf(error: Error, errno: string | undefined, message: string): Kind | undefined {
	if (isReply(error)) {
		const prefix = replyPrefix(error);
		const known = byPrefix[prefix];
		if (known) return known;
		// ERR with an AUTH problem: "ERR AUTH <password> called without any password configured…",
		// "ERR invalid password" (Redis < 6), "ERR Client sent AUTH, but no password is set".
		if (prefix === 'ERR' && /\bAUTH\b|password/i.test(message)) return {code: 'redis-auth', what: 'refused the credentials', hint: authHint};
		if (prefix === 'ERR' && /unknown command|unknown subcommand|wrong number of arguments|Protocol error/i.test(message)) {
			return {code: 'redis-misconfigured', what: 'does not know a command BullMQ needs (too old, or renamed)', hint: 'BullMQ needs Redis ≥ 6.2 (5.0 at least); `saccos-queue doctor` shows the version'};
		}
		return undefined;
	}
	// ioredis's own errors without a class of their own: known by their fixed texts.
	if (/^(Connection is closed|Stream isn't writeable|None of startup nodes is available|All sentinels are unreachable)/.test(error.message)) {
		return {code: 'redis-unreachable', what: 'cannot be reached', hint: unreachableHint};
	}
	if (error.name === 'MaxRetriesPerRequestError') {
		return {code: 'redis-unreachable', what: 'is lost and reconnecting has not worked', hint: unreachableHint};
	}
	if (error.name === 'ClusterAllFailedError') {
		return {code: 'redis-unreachable', what: 'has no reachable cluster node', hint: 'check every node in "redis": {"cluster": [...]}'};
	}
	if (errno === 'ETIMEDOUT' && error.message === 'Command timed out') {
		return {code: 'redis-timeout', what: 'did not answer in time (stalled, swapping or overloaded)', hint: 'check the server (redis-cli --latency, its log, CPU and swap); the deadline is "redisTimeout" in the config'};
	}
	if (errno && tlsCodes.test(errno)) return tlsKind(errno, message);
	if (errno === 'ENOTFOUND' || errno === 'EAI_AGAIN' || errno === 'EAI_NONAME') {
		return {code: 'redis-unreachable', what: `cannot be found by name (DNS ${errno})`, hint: 'check the host name in --redis / REDIS_URL, and /etc/resolv.conf'};
	}
	if (errno && /^(ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ECONNRESET|EPIPE|ECONNABORTED|EADDRNOTAVAIL)$/.test(errno)) {
		return {code: 'redis-unreachable', what: 'cannot be reached', hint: unreachableHint};
	}
	return undefined;
}

/**
 * Maps a Redis/ioredis error to a UserError with the right code, or returns
 * the error unchanged (a bug) when it is none of the known kinds. `where` is
 * the redacted address; the message is redacted too (Redis echoes AUTH
 * arguments in some replies).
 */
export function toUserError(error: unknown, where: string): unknown {
	if (error instanceof UserError || !(error instanceof Error)) return error;
	const err = error as NodeJS.ErrnoException & {lastNodeError?: Error};
	// ClusterAllFailedError carries the last node's error; the connect timeout sets no code.
	const inner = err.lastNodeError;
	// Node's code: an errno (ECONNREFUSED) or OpenSSL's name (SELF_SIGNED_CERT_IN_CHAIN).
	const errno = codeOf(err) ?? (err.message === 'Command timed out' ? 'ETIMEDOUT' : codeOf(inner)) ?? (/^connect ETIMEDOUT\b/.test(err.message) ? 'ETIMEDOUT' : undefined);
	const message = redact(`${err.message}${inner ? `: ${inner.message}` : ''}`).split('\n')[0]!;
	const kind = kindOf(err, errno, message);
	if (!kind) return error;
	return new UserError(kind.code, `Redis at ${where} ${kind.what}: ${message}`, kind.hint, {cause: error});
}

/**
 * The error of a failed connect, told from what ioredis saw: "Connection is
 * closed" hides the cause (refused, reset, TLS) in the last 'error' event; a
 * server that accepts the connection and closes it at once, with nothing said,
 * is most often a TLS port spoken to in plain text.
 */
export function connectError(error: unknown, lastEvent: Error | undefined, where: string, tls: boolean): unknown {
	const closed = error instanceof Error && /Connection is closed/.test(error.message);
	const cause = closed && lastEvent ? lastEvent : error;
	const classified = toUserError(cause, where);
	if (classified instanceof UserError) return classified;
	if (closed && !tls) {
		return new UserError('redis-tls', `Redis at ${where} closed the connection without a word (a TLS port spoken to in plain text?)`, 'use rediss:// for a TLS port (with --tls-ca for a private CA)', {cause: error});
	}
	if (closed) {
		return new UserError('redis-unreachable', `Redis at ${where} closed the connection`, unreachableHint, {cause: error});
	}
	return classified;
}
