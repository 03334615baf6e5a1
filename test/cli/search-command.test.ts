/**
 * `jobs <queue> --state S --grep TEXT [--max-scan N] [--json]` through the
 * real binary, on failed jobs made by a real BullMQ Worker: the matches as
 * the jobs table (stdout) with the coverage on stderr, or as the page's JSON
 * with a `search` object; "no match" said, and said to be partial when it is;
 * job text shown inert; exit 0 found or not, exit 2 with a hint on bad input.
 */
import {after, before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {randomUUID} from 'node:crypto';
import {describeResult, parseJson, runCli} from '../helpers/cli.js';
import {makeFailedJobs, type FailedJobs} from '../helpers/failed-jobs.js';
import {deletePrefix} from '../helpers/keyspace.js';
import {testRedisUrl} from '../helpers/redis-server.js';

const COUNT = 300;
const phoneOf = (index: number) => `+2557${String(45_600_000 + index).padStart(8, '0')}`;
/** Job 42 failed with a reason that tries to retitle the terminal. */
const reasonOf = (index: number) => (index === 42 ? `\u001B]0;pwned\u0007gateway refused ${phoneOf(42)}` : `gateway timeout (job ${index})`);

type SearchJson = {queue: string; state: string; total: number; jobs: Array<{id: string; data: unknown; failedReason: string}>; search: {text: string; scanned: number; total: number; complete: boolean; matched: number; stoppedBy?: string}};

describe('jobs --grep (the real binary)', {concurrency: false}, () => {
	const url = testRedisUrl();
	const prefix = `test-${randomUUID()}`;
	const box = {cli: async (args: readonly string[]) => runCli([...args, '--redis', url, '--prefix', prefix])};
	let made: FailedJobs;

	before(async () => {
		made = await makeFailedJobs({url, prefix, queue: 'sms', count: COUNT, name: 'sms.send', data: index => ({to: phoneOf(index), member: `M-${index}`}), reason: reasonOf});
	});
	after(async () => deletePrefix(url, prefix));

	it('prints the matching job as the jobs table, and on stderr that every failed job was searched', async () => {
		const result = await box.cli(['jobs', 'sms', '--state', 'failed', '--grep', phoneOf(7)]);
		assert.equal(result.code, 0, describeResult(result));
		assert.match(result.stdout, /ID\s+NAME\s+ATTEMPTS\s+CREATED\s+FINISHED\s+REASON/);
		assert.match(result.stdout, new RegExp(`\\n${made.jobs[7]!.id}\\s+sms\\.send\\s+1\\s.*gateway timeout \\(job 7\\)`));
		assert.equal(result.stdout.trim().split('\n').length, 2, result.stdout);
		assert.equal(result.stderr.trim(), `searched all ${COUNT} failed, 1 match`);
	});

	it('--json: the page\'s shape with the matches as jobs, plus search {text, scanned, total, complete}', async () => {
		const result = await box.cli(['jobs', 'sms', '--state', 'failed', '--grep', 'M-4', '--json']);
		assert.equal(result.code, 0, describeResult(result));
		const json = parseJson<SearchJson>(result);
		const expected = made.jobs.filter(job => (job.data as {member: string}).member.startsWith('M-4')).map(job => job.id);
		assert.deepEqual(new Set(json.jobs.map(job => job.id)), new Set(expected));
		assert.deepEqual({queue: json.queue, state: json.state, total: json.total}, {queue: 'sms', state: 'failed', total: COUNT});
		assert.deepEqual({text: json.search.text, scanned: json.search.scanned, total: json.search.total, complete: json.search.complete, matched: json.search.matched}, {text: 'M-4', scanned: COUNT, total: COUNT, complete: true, matched: expected.length});
		assert.equal(result.stderr, '', 'nothing on stderr with --json');
	});

	it('--max-scan: only the newest N searched, and "no match" says it was not all of them', async () => {
		const oldest = phoneOf(0);
		const human = await box.cli(['jobs', 'sms', '--state', 'failed', '--grep', oldest, '--max-scan', '100']);
		assert.equal(human.code, 0, describeResult(human));
		assert.equal(human.stdout.trim(), 'No failed job in sms matches.');
		assert.equal(human.stderr.trim(), `searched 100 of ${COUNT} failed, no match; the newest 100 only; --max-scan ${COUNT} searches them all`);
		const json = parseJson<SearchJson>(await box.cli(['jobs', 'sms', '--state', 'failed', '--grep', oldest, '--max-scan', '100', '--json']));
		assert.deepEqual({scanned: json.search.scanned, complete: json.search.complete, stoppedBy: json.search.stoppedBy, jobs: json.jobs.length}, {scanned: 100, complete: false, stoppedBy: 'limit', jobs: 0});
		const all = parseJson<SearchJson>(await box.cli(['jobs', 'sms', '--state', 'failed', '--grep', oldest, '--max-scan', String(COUNT), '--json']));
		assert.deepEqual(all.jobs.map(job => job.id), [made.jobs[0]!.id]);
	});

	it('a match\'s hostile failed reason is shown inert; --limit caps the rows and says how many matched', async () => {
		const hostile = await box.cli(['jobs', 'sms', '--state', 'failed', '--grep', 'GATEWAY REFUSED']);
		assert.equal(hostile.code, 0, describeResult(hostile));
		assert.ok(!hostile.stdoutBytes.includes(0x1b) && !hostile.stdoutBytes.includes(0x07), `raw control bytes on stdout: ${JSON.stringify(hostile.stdout)}`);
		assert.match(hostile.stdout, new RegExp(`\\n${made.jobs[42]!.id}\\s.*gateway refused`));
		const capped = await box.cli(['jobs', 'sms', '--state', 'failed', '--grep', 'gateway timeout', '--limit', '3']);
		assert.equal(capped.stdout.trim().split('\n').length, 4, capped.stdout);
		assert.equal(capped.stderr.trim(), `searched all ${COUNT} failed, ${COUNT - 1} matches (the first 3 shown)`);
	});

	it('bad input exits 2 with a hint', async () => {
		const cases: Array<[string[], RegExp]> = [
			[['--grep', ''], /--grep needs a text/],
			[['--grep', 'x', '--max-scan', '0'], /--max-scan must be a whole number from 1 to 1000000/],
			[['--max-scan', '50'], /--max-scan goes with --grep/],
			[['--grep', 'x', '--offset', '10'], /--offset does not go with --grep/],
			[['--grep', 'x', '--state', 'failedd'], /unknown state "failedd"/],
		];
		for (const [args, message] of cases) {
			const result = await box.cli(['jobs', 'sms', '--state', 'failed', ...args]);
			assert.equal(result.code, 2, `${args.join(' ')}: ${describeResult(result)}`);
			assert.match(result.stderr, message);
			assert.match(result.stderr, /hint: /);
		}
		const json = await box.cli(['jobs', 'sms', '--grep', '', '--json']);
		assert.equal(json.code, 2);
		assert.equal(parseJson<{error: {code: string}}>(json).error.code, 'usage');
	});
});
