// notifications — SMS/push written to outbox/sms/<job id>.json instead of a
// gateway. `simulate: "timeout"` makes the gateway hang (for the demo): the
// processor honours ctx.signal, so the job fails cleanly at its timeout.
import * as v from 'valibot';
import {wait, writeOnce} from './outbox.js';

export const schema = v.object({
	phone: v.pipe(v.string(), v.regex(/^\+?\d{9,15}$/, 'a phone number such as +255712345678')),
	message: v.pipe(v.string(), v.minLength(1), v.maxLength(480)),
	simulate: v.optional(v.picklist(['timeout', 'flaky'])),
});

export default async function sendSms(job, ctx) {
	if (job.data.simulate === 'timeout') await wait(24 * 3600 * 1000, ctx.signal);
	if (job.data.simulate === 'flaky' && job.attemptsMade === 0) throw new Error('SMS gateway returned 503, will retry');
	const {file, created} = await writeOnce('sms', `${job.id}.json`, JSON.stringify({to: job.data.phone, message: job.data.message, jobId: job.id}));
	return {file, created};
}
