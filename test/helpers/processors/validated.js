// A test processor that declares a valibot schema for its data: an account
// number of 10 digits and a positive amount. Valid jobs append "ok <id>" to
// data.recordFile (or SACCOS_TEST_RECORD).
import {appendFileSync} from 'node:fs';
import * as v from 'valibot';

export const schema = v.object({
	account: v.object({number: v.pipe(v.string(), v.regex(/^\d{10}$/, 'an account number of 10 digits'))}),
	amount: v.pipe(v.number(), v.minValue(1)),
	recordFile: v.optional(v.string()),
});

export default async function validated(job) {
	appendFileSync(job.data.recordFile ?? process.env.SACCOS_TEST_RECORD, `${JSON.stringify({event: 'start', id: job.id, attempt: job.attemptsMade + 1})}\n`);
	return {ok: true};
}
