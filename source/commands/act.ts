/**
 * What every writing command shares: the read-only refusal, the typed
 * confirmation for destructive actions (or --yes without a terminal), the
 * audit record, progress on a terminal, and Ctrl-C that stops between
 * batches. The data layer does the work; this only guards and reports.
 */
import {sanitizeLine} from '../common/sanitize.js';
import {createInterface} from 'node:readline/promises';
import type {Context} from '../command.js';
import type {ActionResult, BulkOptions, Progress} from '../data/actions.js';
import {auditFailure, auditResult, refuseIfBlocked, refuseWrite} from '../data/guarded-write.js';
import type {Connection} from '../data/connection.js';
import {printJson} from '../output/json.js';
import {formatProgress} from '../present/format.js';
import {onSignals} from '../util/signals.js';

export type Guard = {
	action: string;
	/** The queue(s) concerned; what the operator must type to confirm. */
	queue: string | null;
	/** Asks for confirmation (flush, clean, archive, retry of everything…). */
	destructive: boolean;
	/** What will happen, in one line, for the prompt. */
	summary: string;
};

export const dryRunOf = (context: Context): boolean => context.flags['dry-run'] === true;

const refuse = async (connection: Connection | undefined, guard: Guard, message: string, hint: string): Promise<never> =>
	refuseWrite({connection, action: guard.action, queue: guard.queue}, message, hint);

/** Writes that were let through but not reported yet: if the command fails, cli.ts audits the failure. */
const unreported = new WeakMap<Context, {connection: Connection | undefined; guard: Guard}>();

/** Audits a write that failed after it was let through (called by cli.ts when the command throws). */
export async function auditFailedWrite(context: Context, error: unknown): Promise<void> {
	const pending = unreported.get(context);
	if (!pending) return;
	unreported.delete(context);
	await auditFailure({connection: pending.connection, action: pending.guard.action, queue: pending.guard.queue}, error);
}

async function ask(question: string): Promise<string> {
	const reader = createInterface({input: process.stdin, output: process.stderr});
	try {
		return (await reader.question(question)).trim();
	} finally {
		reader.close();
	}
}

/**
 * Refuses (exit 6, audited) in read-only mode, and asks a destructive action
 * to be confirmed: on a terminal by typing the queue name, otherwise by --yes.
 * --dry-run needs no confirmation: it changes nothing.
 */
export async function guardWrite(context: Context, connection: Connection | undefined, guard: Guard): Promise<void> {
	await refuseIfBlocked({connection, action: guard.action, queue: guard.queue}, context.config.readOnly ? {reason: '--read-only or "readOnly" in the config', hint: 'drop --read-only / readOnly to make changes'} : undefined);
	await confirm(context, connection, guard);
	unreported.set(context, {connection, guard});
}

async function confirm(context: Context, connection: Connection | undefined, guard: Guard): Promise<void> {
	if (!guard.destructive || dryRunOf(context) || context.flags['yes'] === true) return;
	const expected = guard.queue ?? 'all';
	if (process.stdin.isTTY && process.stderr.isTTY && !context.json) {
		const answer = await ask(`${sanitizeLine(guard.summary)}\nType "${sanitizeLine(expected)}" to confirm: `);
		if (answer === expected) return;
		await refuse(connection, guard, `${guard.action} not confirmed`, `type "${expected}" exactly, or pass --yes`);
	}
	await refuse(connection, guard, `${guard.action} needs confirmation: ${guard.summary}`, 'pass --yes to confirm without a terminal, or --dry-run to see what would happen');
}

/** First Ctrl-C stops between batches; a second one exits at once. */
export function interruptible(context: Context): {signal: AbortSignal; dispose(): void} {
	const controller = new AbortController();
	const dispose = onSignals((_signal, count) => {
		if (count > 1) process.exit(130);
		controller.abort();
		context.note('\nstopping after the current batch… (Ctrl-C again to quit now)');
	});
	return {signal: controller.signal, dispose};
}

/** A progress line on stderr when it is a terminal: done/total, percent and rate. */
export function progressLine(context: Context, label: string): {onProgress?: (progress: Progress) => void; done(): void} {
	if (!process.stderr.isTTY || context.json) return {done: () => {}};
	const started = performance.now();
	let shown = false;
	return {
		onProgress: progress => {
			process.stderr.write(`\r${formatProgress(label, progress, started)}   `);
			shown = true;
		},
		done: () => {
			if (shown) process.stderr.write('\n');
		},
	};
}

/** Audits the outcome and prints it: `{"queue","action","count","dryRun"}` with --json. */
export async function report(context: Context, connection: Connection | undefined, results: ActionResult[], human: (result: ActionResult) => string): Promise<number> {
	unreported.delete(context);
	// Without Redis (e.g. starting services while it is down) there is nowhere to audit to.
	for (const result of results) await auditResult({connection, action: result.action, queue: result.queue}, result);
	if (context.json) {
		printJson(results.length === 1 ? results[0] : {queue: null, action: results[0]?.action ?? null, count: results.reduce((sum, result) => sum + result.count, 0), dryRun: dryRunOf(context), queues: results});
	} else {
		// Queue names and ids come from Redis: untrusted text.
		for (const result of results) context.out(sanitizeLine(`${result.dryRun ? '[dry run] ' : ''}${human(result)}${result.interrupted ? ' (interrupted: the rest is untouched)' : ''}`));
	}
	return results.some(result => result.interrupted) ? 130 : 0;
}

/**
 * Runs a bulk action over queues one after the other, with progress and
 * Ctrl-C between batches; a queue whose turn never came is reported as
 * interrupted rather than silently skipped.
 */
export async function eachQueue(context: Context, queues: readonly string[], action: string, work: (queue: string, options: BulkOptions) => Promise<ActionResult>): Promise<ActionResult[]> {
	const {signal, dispose} = interruptible(context);
	const results: ActionResult[] = [];
	try {
		for (const queue of queues) {
			if (signal.aborted) {
				results.push({queue, action, count: 0, dryRun: dryRunOf(context), interrupted: true, notStarted: true});
				continue;
			}
			const progress = progressLine(context, `${action} ${queue}`);
			results.push(await work(queue, {dryRun: dryRunOf(context), signal, ...(progress.onProgress ? {onProgress: progress.onProgress} : {})}));
			progress.done();
		}
	} finally {
		dispose();
	}
	return results;
}

/** Options every writing command accepts (README, "Commands": scripts pass them uniformly). */
export const writeOptions = {
	yes: {type: 'boolean', short: 'y', description: 'confirm a destructive action without a terminal'},
	'dry-run': {type: 'boolean', description: 'show what would happen; change nothing'},
} as const;
