// loan.approved — the HandleLoanApproved listener: records the disbursement
// instruction in outbox/events/ (once per job id).
import * as v from 'valibot';
import {writeOnce} from './outbox.js';

export const schema = v.object({loanId: v.union([v.number(), v.string()]), memberId: v.optional(v.union([v.number(), v.string()])), amount: v.optional(v.pipe(v.number(), v.minValue(0)))});

export default async function handleLoanApproved(job) {
	const {file, created} = await writeOnce('events', `loan-${job.id}.json`, JSON.stringify({event: 'LoanApproved', ...job.data, handledAt: new Date().toISOString()}));
	return {file, created};
}
