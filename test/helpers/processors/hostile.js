// A processor that puts hostile text everywhere a job can carry text: a log
// line (ctx.log) and a failure whose message, and so its stack trace, carry
// data.reason. It always throws.
export default async function hostile(job, ctx) {
	const data = job.data ?? {};
	await ctx.log(String(data.log ?? ''));
	const error = new Error(String(data.reason ?? 'hostile'));
	error.stack = `${error.stack}\n    at ${String(data.frame ?? 'frame')}`;
	throw error;
}
