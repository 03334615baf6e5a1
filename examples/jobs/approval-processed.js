// approval.processed — the HandleApprovalProcessed listener: records the
// workflow step in outbox/events/ (once per job id).
import * as v from 'valibot';
import {writeOnce} from './outbox.js';

export const schema = v.object({approvalId: v.union([v.number(), v.string()]), status: v.picklist(['approved', 'rejected']), by: v.optional(v.string())});

export default async function handleApprovalProcessed(job) {
	const {file, created} = await writeOnce('events', `approval-${job.id}.json`, JSON.stringify({event: 'ApprovalProcessed', ...job.data, handledAt: new Date().toISOString()}));
	return {file, created};
}
