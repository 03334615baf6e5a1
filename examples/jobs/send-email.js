// emails — writes the message to outbox/emails/<job id>.eml instead of sending it.
import * as v from 'valibot';
import {writeOnce} from './outbox.js';

export const schema = v.object({
	to: v.pipe(v.string(), v.email()),
	subject: v.pipe(v.string(), v.minLength(1)),
	body: v.optional(v.string()),
});

export default async function sendEmail(job) {
	const {to, subject, body = ''} = job.data;
	const message = `To: ${to}\nSubject: ${subject}\nX-Job-Id: ${job.id}\n\n${body}\n`;
	const {file, created} = await writeOnce('emails', `${job.id}.eml`, message);
	return {file, created};
}
