/**
 * Jobs of the sizes that once froze the console, made as another BullMQ
 * application makes them (real Queue.add; the failure through a real Worker
 * whose processor throws): waiting jobs of 20 MB and 2 MB among small ones,
 * and a failed job whose reason and stack trace run to 5 MB each.
 */
import {Queue} from 'bullmq';
import {Redis} from 'ioredis';
import {makeFailedJobs} from './failed-jobs.js';

const MB = 1024 * 1024;

/** Data of about `bytes` bytes of JSON: a statement (base64-like text) and a marker at its very end. */
export const bigData = (bytes: number, marker: string): {statement: string; end: string} => ({statement: 'QUJD'.repeat(Math.floor(bytes / 4)), end: marker});

export type HugeJobs = {
	queue: string;
	/** The 20 MB job: its id, data, and the size of its stored JSON in bytes. */
	big: {id: string; data: ReturnType<typeof bigData>; bytes: number};
	/** The 2 MB job. */
	mid: {id: string; data: ReturnType<typeof bigData>; bytes: number};
	/** Small jobs (waiting, before the big ones). */
	small: Array<{id: string; data: {to: string}}>;
};

/** Waiting jobs in `queue`: three small ones, then 2 MB, then 20 MB (the last on a page of waiting jobs). */
export async function makeHugeJobs(url: string, prefix: string, queue = 'reports'): Promise<HugeJobs> {
	const connection = new Redis(url, {maxRetriesPerRequest: null});
	const bull = new Queue(queue, {connection, prefix});
	try {
		const small: HugeJobs['small'] = [];
		for (const to of ['a@example.com', 'b@example.com', 'c@example.com']) {
			const job = await bull.add('email.send', {to});
			small.push({id: job.id!, data: {to}});
		}
		const midData = bigData(2 * MB, 'END-OF-2MB');
		const mid = await bull.add('report.mid', midData);
		const bigDataValue = bigData(20 * MB, 'END-OF-20MB');
		const big = await bull.add('report.big', bigDataValue);
		return {
			queue,
			big: {id: big.id!, data: bigDataValue, bytes: Buffer.byteLength(JSON.stringify(bigDataValue))},
			mid: {id: mid.id!, data: midData, bytes: Buffer.byteLength(JSON.stringify(midData))},
			small,
		};
	} finally {
		await bull.close();
		await connection.quit().catch(() => connection.disconnect());
	}
}

/** A failed job in `queue` whose error message — hence its failed reason and its stack trace — is 5 MB. */
export async function makeHugeFailure(url: string, prefix: string, queue = 'sms'): Promise<{id: string; reason: string}> {
	const reason = `gateway said: ${'E'.repeat(5 * MB)} END-OF-REASON`;
	const made = await makeFailedJobs({url, prefix, queue, count: 1, name: 'sms.send', data: () => ({to: '+255700000000'}), reason: () => reason, concurrency: 1});
	return {id: made.jobs[0]!.id, reason};
}
