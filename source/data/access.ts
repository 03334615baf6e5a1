/**
 * May this connection write? Asked once when the console opens, so that a
 * read-only ACL user or a replica gets a READ-ONLY badge with the reason
 * instead of keys that are offered and then fail with NOPERM.
 *
 * The probe writes nothing: EVALSHA of a script that cannot exist, with one
 * queue key declared. Redis checks the ACL (the command and the key, which
 * EVAL declares read-write) before it looks the script up, so NOPERM means
 * "not allowed" and NOSCRIPT means "allowed" — on every Redis with ACLs,
 * without ACL DRYRUN (7.0+, and an admin command a read-only user lacks).
 * BullMQ's writes are all scripts on the queue's keys; the audit stream is
 * asked the same way with XADD's own permission.
 */
import type {Connection} from './connection.js';
import {auditKey} from './audit.js';
import {queueKey} from './keys.js';
import {replyPrefix} from './redis-errors.js';
import {redact} from '../common/redact.js';

export type WriteAccess = {writable: true} | {writable: false; reason: string};

/** A SHA1 no script has: EVALSHA with it runs nothing. */
const NO_SCRIPT = 'f'.repeat(40);

const denial = (error: unknown): string | undefined => {
	if (!(error instanceof Error)) return undefined;
	const prefix = replyPrefix(error);
	return prefix === 'NOPERM' || prefix === 'READONLY' ? redact(error.message.split('\n')[0]!) : undefined;
};

/** Whether writes to `queue` (and the audit stream) are allowed, with Redis's own words when not. */
export async function probeWriteAccess(connection: Connection, queue: string): Promise<WriteAccess> {
	const {client, prefix} = connection;
	try {
		await client.evalsha(NO_SCRIPT, 1, queueKey(prefix, queue, 'wait'));
	} catch (error) {
		const why = denial(error);
		if (why) return {writable: false, reason: await withUser(connection, why)};
		// NOSCRIPT: the ACL let it through. Anything else says nothing about access.
	}
	try {
		// XADD with an ID of 0-0 is refused by Redis itself after the ACL check: nothing is added.
		await client.xadd(auditKey(prefix), '0-0', 'probe', '1');
	} catch (error) {
		const why = denial(error);
		if (why) return {writable: false, reason: await withUser(connection, why)};
	}
	return {writable: true};
}

/** `why`, naming the ACL user when Redis will say who we are. */
async function withUser(connection: Connection, why: string): Promise<string> {
	if (/^READONLY/.test(why)) return 'a read-only replica';
	try {
		const user = (await connection.client.call('ACL', 'WHOAMI')) as string;
		return `ACL user ${user}: ${why}`;
	} catch {
		return why;
	}
}
