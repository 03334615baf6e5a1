/**
 * Two kinds of error (house style 8). A UserError is expected — Redis down, an
 * unknown queue, a bad flag — and prints one line, a hint and a distinct exit
 * code. Anything else is a bug: exit 70, stack only with --verbose.
 */

/** The contract's exit codes (CONTRACT.md, "Exit codes"). */
export const ExitCode = {
	ok: 0,
	checkFailed: 1,
	usage: 2,
	unreachable: 3,
	auth: 4,
	misconfigured: 5,
	refused: 6,
	internal: 70,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** Stable machine-readable codes for `{"error": {"code"}}`. */
export type ErrorCode =
	| 'usage'
	| 'unknown-queue'
	| 'not-found'
	| 'config'
	| 'redis-unreachable'
	| 'redis-auth'
	| 'redis-misconfigured'
	| 'refused'
	| 'internal';

const exitFor: Record<ErrorCode, ExitCodeValue> = {
	usage: ExitCode.usage,
	'unknown-queue': ExitCode.usage,
	'not-found': ExitCode.usage,
	config: ExitCode.usage,
	'redis-unreachable': ExitCode.unreachable,
	'redis-auth': ExitCode.auth,
	'redis-misconfigured': ExitCode.misconfigured,
	refused: ExitCode.refused,
	internal: ExitCode.internal,
};

/** An expected failure: one line, a hint, and the contract's exit code. */
export class UserError extends Error {
	readonly code: ErrorCode;
	readonly hint: string;
	readonly exitCode: ExitCodeValue;

	constructor(code: ErrorCode, message: string, hint = '') {
		super(message);
		this.name = 'UserError';
		this.code = code;
		this.hint = hint;
		this.exitCode = exitFor[code];
	}
}

export const isUserError = (error: unknown): error is UserError => error instanceof UserError;
