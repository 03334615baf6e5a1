/**
 * Two kinds of error (docs/ARCHITECTURE.md, "Errors and exit codes"). A
 * UserError is expected — Redis down, an unknown queue, a bad flag, a full disk
 * — and prints one line, a hint and a distinct exit code. Anything else is a
 * bug: exit 70, stack only with --verbose.
 *
 * Every kind of expected failure has its own code here, and this file is the
 * one place that maps codes to exit codes.
 */

/** The contract's exit codes, plus sysexits' EX_IOERR for the local disk. */
export const ExitCode = {
	ok: 0,
	checkFailed: 1,
	usage: 2,
	unreachable: 3,
	auth: 4,
	misconfigured: 5,
	refused: 6,
	internal: 70,
	/** a file could not be read or written: full, read-only, no permission (sysexits EX_IOERR) */
	io: 74,
	/** interrupted by the operator (Ctrl-C) between two batches */
	interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** Stable machine-readable codes for `{"error": {"code"}}`. */
export type ErrorCode =
	| 'usage'
	| 'unknown-queue'
	| 'not-found'
	| 'config'
	/** data given to us (a job's --data, a file) is larger than the configured cap */
	| 'too-large'
	| 'redis-unreachable'
	/** the server accepted the connection but did not answer in time (stalled, busy) */
	| 'redis-timeout'
	| 'redis-auth'
	/** the user is known but its ACL forbids the command or key (NOPERM) */
	| 'redis-noperm'
	/** TLS: a certificate that does not verify, TLS spoken to a plain port, … */
	| 'redis-tls'
	| 'redis-misconfigured'
	/** the server is at maxmemory with a policy that refuses writes (OOM) */
	| 'redis-oom'
	/** a replica, or a server whose disk failed (READONLY, MISCONF) */
	| 'redis-readonly'
	/** a local file: no space, read-only filesystem, no permission, I/O error */
	| 'io'
	| 'refused'
	| 'interrupted'
	| 'internal';

const exitFor: Record<ErrorCode, ExitCodeValue> = {
	usage: ExitCode.usage,
	'unknown-queue': ExitCode.usage,
	'not-found': ExitCode.usage,
	config: ExitCode.usage,
	'too-large': ExitCode.usage,
	'redis-unreachable': ExitCode.unreachable,
	'redis-timeout': ExitCode.unreachable,
	'redis-auth': ExitCode.auth,
	'redis-noperm': ExitCode.auth,
	'redis-tls': ExitCode.misconfigured,
	'redis-misconfigured': ExitCode.misconfigured,
	'redis-oom': ExitCode.misconfigured,
	'redis-readonly': ExitCode.misconfigured,
	io: ExitCode.io,
	refused: ExitCode.refused,
	interrupted: ExitCode.interrupted,
	internal: ExitCode.internal,
};

/** The exit code a kind of error ends a command with. */
export const exitCodeOf = (code: ErrorCode): ExitCodeValue => exitFor[code];

/** An expected failure: one line, a hint, and the contract's exit code. */
export class UserError extends Error {
	readonly code: ErrorCode;
	readonly hint: string;
	readonly exitCode: ExitCodeValue;

	constructor(code: ErrorCode, message: string, hint = '', options?: {cause?: unknown}) {
		super(message, options);
		this.name = 'UserError';
		this.code = code;
		this.hint = hint;
		this.exitCode = exitFor[code];
	}
}

export const isUserError = (error: unknown): error is UserError => error instanceof UserError;

/**
 * Faults of Redis that pass by themselves or by an operator's hand without a
 * restart of ours — down, stalled, out of memory, a replica until the
 * failover ends. A long-lived process (worker, scheduler) waits them out,
 * saying so; a one-shot command reports them.
 */
export const isTransientRedisFault = (error: unknown): error is UserError =>
	error instanceof UserError && error.code in waitingMessages;

/**
 * The fixed log message of a long-lived process waiting out a Redis fault:
 * operators and tests grep for it; Redis's own words go in the line's `err`.
 */
const waitingMessages: Partial<Record<ErrorCode, string>> = {
	'redis-unreachable': 'Redis unreachable; retrying',
	'redis-timeout': 'Redis not answering; retrying',
	'redis-oom': 'Redis out of memory; retrying',
	'redis-readonly': 'Redis read-only (a replica?); retrying',
};

export const waitingMessage = (error: UserError): string => waitingMessages[error.code] ?? 'Redis not ready; retrying';

/** What to do about each errno of the local filesystem that is the world's fault, not ours. */
const fileFaults: Record<string, {what: string; hint: string}> = {
	ENOSPC: {what: 'no space left on the device', hint: 'free some space (df -h shows which filesystem is full) or write elsewhere'},
	EDQUOT: {what: 'the disk quota is exceeded', hint: 'free some space or ask for a larger quota'},
	EROFS: {what: 'the filesystem is read-only', hint: 'write to a writable filesystem (mount shows how each is mounted)'},
	EACCES: {what: 'permission denied', hint: 'check the file\'s and its folder\'s owner and mode, or run as a user who may write there'},
	EPERM: {what: 'operation not permitted', hint: 'check the file\'s and its folder\'s owner and mode'},
	EIO: {what: 'an I/O error of the device', hint: 'the disk may be failing: check dmesg'},
	EFBIG: {what: 'the file is too large for the filesystem', hint: 'write to another filesystem or split the work (e.g. --queue, --older-than)'},
	EMFILE: {what: 'too many open files', hint: 'raise the limit (ulimit -n, LimitNOFILE= in the unit)'},
	ENFILE: {what: 'too many open files on the system', hint: 'raise fs.file-max or close other programs'},
	ENOENT: {what: 'no such file or folder', hint: 'check the path'},
	ENOTDIR: {what: 'a part of the path is not a folder', hint: 'check the path'},
	EISDIR: {what: 'it is a folder, not a file', hint: 'give a file\'s path'},
	EEXIST: {what: 'it exists already', hint: 'choose another path or remove it first'},
};

/** What an errno of the local filesystem means, in words ("no space left on the device"), if it is one of ours. */
export const fileFaultOf = (errno: string | undefined): string | undefined => (errno ? fileFaults[errno]?.what : undefined);

/** The errno of a Node system error (ENOSPC, EACCES…), if it is one. */
export const errnoOf = (error: unknown): string | undefined => {
	const code = (error as NodeJS.ErrnoException | undefined)?.code;
	return typeof code === 'string' && /^E[A-Z]+$/.test(code) ? code : undefined;
};

/**
 * A local file operation that failed for a reason of the environment (full,
 * read-only or forbidden disk) as a UserError (exit 74) saying what was being
 * done, with what, and what to do; anything else is returned unchanged (a bug).
 */
export function fileError(error: unknown, doing: string, file: string): unknown {
	if (error instanceof UserError) return error;
	const errno = errnoOf(error);
	const fault = errno ? fileFaults[errno] : undefined;
	if (!errno || !fault) return error;
	return new UserError('io', `cannot ${doing} ${file}: ${fault.what} (${errno})`, fault.hint, {cause: error});
}
