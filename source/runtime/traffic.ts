/**
 * SACCOS-like traffic for the demo: loan approvals and approval workflow
 * events on `high`, member emails, SMS notifications, and reports — with the
 * failures operators meet: an SMS gateway that times out, one that fails
 * once and succeeds on retry, an email with a bad address, a report asked
 * for an unknown period.
 */
import type {Connection} from '../data/connection.js';
import {dispatchJob, type DispatchInput} from '../data/actions.js';
import type {Config} from '../config.js';

type Pick = {queue: string; input: DispatchInput};

const members = ['Amina Juma', 'Baraka Mushi', 'Neema Kimaro', 'Juma Hassan', 'Rehema Said', 'Salma Mrisho'];

function pick(n: number): Pick {
	const member = members[n % members.length]!;
	const roll = n % 20;
	if (roll < 4) return {queue: 'high', input: {name: 'loan.approved', data: {loanId: 1000 + n, memberId: 500 + (n % 97), amount: 250_000 + (n % 13) * 50_000}}};
	if (roll < 7) return {queue: 'high', input: {name: 'approval.processed', data: {approvalId: 7000 + n, status: n % 5 === 0 ? 'rejected' : 'approved', by: 'branch-manager'}}};
	if (roll < 12) {
		const to = roll === 11 && n % 3 === 0 ? 'not-an-address' : `${member.toLowerCase().replace(' ', '.')}@example.co.tz`;
		return {queue: 'emails', input: {name: 'email.send', data: {to, subject: 'Your loan statement', body: `Dear ${member}, your statement is ready.`}}};
	}
	if (roll < 18) {
		const simulate = roll === 12 && n % 2 === 0 ? 'timeout' : roll === 13 ? 'flaky' : undefined;
		return {queue: 'notifications', input: {name: 'sms.send', data: {phone: `+2557${String(12_345_000 + n).slice(-8)}`, message: `Malipo ya mkopo yamepokelewa. Asante ${member}.`, ...(simulate ? {simulate} : {})}}};
	}
	return {queue: 'default', input: {name: 'reports:generate-daily', data: {period: roll === 19 && n % 4 === 3 ? 'yearly' : 'daily', branch: 'Arusha'}}};
}

/** Dispatches a job every `everyMs` until the signal aborts; returns the number dispatched. */
export async function runTraffic(connection: Connection, config: Config, signal: AbortSignal, everyMs = 400): Promise<number> {
	let n = 0;
	while (!signal.aborted) {
		const {queue, input} = pick(n++);
		const settings = config.queues[queue];
		await dispatchJob(connection, queue, {...input, ...(settings ? {attempts: settings.tries, ...(settings.backoff ? {backoff: settings.backoff} : {})} : {})}).catch(() => undefined);
		await new Promise<void>(resolve => {
			const done = () => {
				clearTimeout(timer);
				signal.removeEventListener('abort', done);
				resolve();
			};
			const timer = setTimeout(done, everyMs * (0.5 + Math.random()));
			signal.addEventListener('abort', done, {once: true});
		});
	}
	return n;
}
