/**
 * The one guarded-write path of the CLI and the console (docs/ARCHITECTURE.md,
 * "An action, end to end"): a write that is not allowed is refused with exit 6
 * and audited as refused; a write that ran is audited with its outcome — ok,
 * dry-run, interrupted — or as failed with the error's words. Confirmation
 * differs by front end (a typed answer on the terminal, a prompt in the
 * console), so it stays with each of them.
 */
import type {ActionResult} from './actions.js';
import {appendAudit, type AuditResult} from './audit.js';
import type {Connection} from './connection.js';
import {UserError} from '../errors.js';

/** Why writes are off, and what to do about it; undefined when they are on. */
export type WriteBlock = {reason: string; hint: string} | undefined;

export type WriteTarget = {
	/** Where to audit; none when Redis is not needed (services while Redis is down). */
	connection: Connection | undefined;
	action: string;
	queue: string | null;
	/** The command line to record, when it is not this process's argv (the console's actions). */
	argv?: readonly string[];
};

/** Audits a refusal and throws it (exit 6). */
export async function refuseWrite(target: WriteTarget, message: string, hint: string): Promise<never> {
	// An ACL user that may not write may not append to the audit stream either: best effort.
	if (target.connection) await appendAudit(target.connection, {action: target.action, queue: target.queue, count: 0, result: 'refused', message}, target.argv);
	throw new UserError('refused', message, hint);
}

/** Refuses (audited, exit 6) when writes are blocked. */
export async function refuseIfBlocked(target: WriteTarget, block: WriteBlock): Promise<void> {
	if (block) await refuseWrite(target, `read-only mode (${block.reason}): ${target.action} refused`, block.hint);
}

/**
 * Audits what a write did, under the target's action name: the name it would
 * have been refused or failed under (the console's "retry-all" is "retry" in
 * its result), so one action reads the same in every outcome.
 */
export async function auditResult(target: WriteTarget, result: ActionResult): Promise<void> {
	if (!target.connection) return;
	const outcome: AuditResult = result.dryRun ? 'dry-run' : result.interrupted ? 'interrupted' : 'ok';
	await appendAudit(target.connection, {action: target.action, queue: result.queue, count: result.count, result: outcome, message: null}, target.argv);
}

/** Audits a write that failed part-way, with the error's words (never throws). */
export async function auditFailure(target: WriteTarget, error: unknown): Promise<void> {
	if (!target.connection) return;
	const message = error instanceof Error ? error.message : String(error);
	await appendAudit(target.connection, {action: target.action, queue: target.queue, count: 0, result: 'failed', message}, target.argv).catch(() => false);
}

/** Refusal, the work, and its audit: the console's whole write path, and the CLI's after confirmation. */
export async function guardedWrite<T extends ActionResult>(target: WriteTarget, block: WriteBlock, work: () => Promise<T>): Promise<T> {
	await refuseIfBlocked(target, block);
	let result: T;
	try {
		result = await work();
	} catch (error) {
		await auditFailure(target, error);
		throw error;
	}
	await auditResult(target, result);
	return result;
}
