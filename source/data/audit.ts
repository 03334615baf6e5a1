/**
 * Who did what: every mutating action, allowed or refused, appended to a
 * capped Redis stream under the prefix (`<prefix>:saccos-queue:audit`).
 */
import {readlinkSync} from 'node:fs';
import os from 'node:os';
import {toUserError, type Connection} from './connection.js';
import {redact} from '../common/redact.js';

/** How many records the stream keeps (approximately: MAXLEN ~). */
export const AUDIT_MAX = 100_000;

export const auditKey = (prefix: string): string => `${prefix}:saccos-queue:audit`;

export type AuditResult = 'ok' | 'refused' | 'dry-run' | 'interrupted' | 'failed';

export type AuditRecord = {
	/** Stream entry id; its first part is the time in ms. */
	id: string;
	time: string;
	host: string;
	user: string;
	sudoUser: string | null;
	sshClient: string | null;
	tty: string | null;
	command: string;
	action: string;
	queue: string | null;
	count: number;
	result: AuditResult;
	message: string | null;
};

export type AuditEntry = Omit<AuditRecord, 'id' | 'time' | 'host' | 'user' | 'sudoUser' | 'sshClient' | 'tty' | 'command'>;

function terminal(): string | null {
	try {
		const target = readlinkSync('/proc/self/fd/0');
		return /^\/dev\/(pts\/|tty)/.test(target) ? target : null;
	} catch {
		return null;
	}
}

function user(): string {
	try {
		return os.userInfo().username;
	} catch {
		return process.env['USER'] ?? String(process.getuid?.() ?? 'unknown');
	}
}

/** The facts about the person and place behind this process. */
export function whoAmI(argv: readonly string[] = process.argv.slice(2)) {
	return {
		host: os.hostname(),
		user: user(),
		sudoUser: process.env['SUDO_USER'] ?? null,
		sshClient: process.env['SSH_CLIENT']?.split(' ')[0] ?? null,
		tty: terminal(),
		command: redact(['saccos-queue', ...argv].join(' ')),
	};
}

/** Appends one record. Never throws for a Redis problem after the action: it returns false instead. */
export async function appendAudit(connection: Connection, entry: AuditEntry, argv?: readonly string[]): Promise<boolean> {
	const who = whoAmI(argv);
	const fields: Record<string, string> = {
		host: who.host,
		user: who.user,
		sudoUser: who.sudoUser ?? '',
		sshClient: who.sshClient ?? '',
		tty: who.tty ?? '',
		command: who.command,
		action: entry.action,
		queue: entry.queue ?? '',
		count: String(entry.count),
		result: entry.result,
		message: entry.message ? redact(entry.message) : '',
	};
	try {
		await connection.client.xadd(auditKey(connection.prefix), 'MAXLEN', '~', AUDIT_MAX, '*', ...Object.entries(fields).flat());
		return true;
	} catch {
		return false;
	}
}

const orNull = (text: string | undefined): string | null => (text ? text : null);

/** Audit records, newest first, optionally only those since `sinceMs`. Bounded by `limit`. */
export async function listAudit(connection: Connection, options: {sinceMs?: number; limit?: number} = {}): Promise<AuditRecord[]> {
	let entries: Array<[string, string[]]>;
	try {
		entries = (await connection.client.xrevrange(auditKey(connection.prefix), '+', options.sinceMs === undefined ? '-' : String(options.sinceMs), 'COUNT', options.limit ?? 100)) as Array<[string, string[]]>;
	} catch (error) {
		throw toUserError(error, connection.where);
	}
	return entries.map(([id, flat]) => {
		const fields: Record<string, string> = {};
		for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
		return {
			id,
			time: new Date(Number(id.split('-')[0])).toISOString(),
			host: fields['host'] ?? '',
			user: fields['user'] ?? '',
			sudoUser: orNull(fields['sudoUser']),
			sshClient: orNull(fields['sshClient']),
			tty: orNull(fields['tty']),
			command: fields['command'] ?? '',
			action: fields['action'] ?? '',
			queue: orNull(fields['queue']),
			count: Number(fields['count'] ?? 0),
			result: (fields['result'] ?? 'ok') as AuditResult,
			message: orNull(fields['message']),
		};
	});
}
