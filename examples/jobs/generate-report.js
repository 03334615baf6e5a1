// reports:generate-* — builds a real report file (JSON) for the period in the
// job's data. Bad input (an unknown period) fails at once, without retries.
import * as v from 'valibot';
import {writeOnce} from './outbox.js';

export const schema = v.object({
	period: v.optional(v.picklist(['scheduled', 'daily', 'weekly', 'monthly'])),
	branch: v.optional(v.string()),
});

export default async function generateReport(job, ctx) {
	const period = job.data?.period ?? job.name.replace(/^reports:generate-/, '');
	await ctx.log(`generating ${period} report`);
	const report = {
		report: job.name,
		period,
		branch: job.data?.branch ?? 'all',
		generatedAt: new Date().toISOString(),
		// A stand-in for real figures: deterministic from the job id.
		loansIssued: [...String(job.id)].reduce((sum, ch) => sum + ch.charCodeAt(0), 0) % 97,
	};
	const {file, created} = await writeOnce('reports', `${job.name}-${job.id}.json`, JSON.stringify(report, null, 2));
	return {file, created};
}
