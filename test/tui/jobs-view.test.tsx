/**
 * The jobs view and the job detail on fixed pages: the table of a state (a
 * failed job's reason), 1-7 switching state, pages as tall as the screen,
 * marks and retry, delete after the queue name is typed, the detail (data,
 * reason, stack trace, a corrupt job's dataError, a vanished job), hostile
 * job text shown inert, and read-only mode that never writes.
 */
import {afterEach, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import type {JobDetail, JobPage, JobState, JobSummary, Snapshot} from '../../source/common/types.js';
import type {ConsoleApi} from '../../source/store/console-api.js';
import {fixtureApi, renderConsole, type Call, type ConsoleHarness} from '../helpers/console.js';

const NOW = Date.now();

function snapshot(queues: Array<{name: string; failed?: number; paused?: boolean}>): Snapshot {
	return {
		redis: {url: 'redis://127.0.0.1:6379', mode: 'standalone', version: '7.0.15', usedMemory: 1_000_000, maxMemory: 0, evictionPolicy: 'noeviction', nodes: 1, uptimeSeconds: 100, connectedClients: 3, persistence: {aof: false, rdb: false}, latencyMs: 2},
		queues: queues.map(queue => ({
			name: queue.name,
			paused: queue.paused ?? false,
			counts: {waiting: 4, active: 2, delayed: 0, prioritized: 0, 'waiting-children': 0, completed: 10, failed: queue.failed ?? 0},
			workers: 1,
			threshold: null,
			size: 6,
			overThreshold: false,
			exists: true,
			oldestWaitMs: null,
		})),
		workers: [],
		schedules: [],
		warnings: [],
		generatedAt: new Date(NOW).toISOString(),
	};
}

function job(id: string, state: JobState, extra: Partial<JobSummary> = {}): JobSummary {
	return {
		id, queue: 'emails', name: `send-${id}`, state, attemptsMade: state === 'failed' ? 3 : 0,
		failedReason: state === 'failed' ? `SMTP 421 for job ${id}` : null,
		timestamp: NOW - 60_000, processedOn: NOW - 50_000, finishedOn: state === 'failed' ? NOW - 40_000 : null,
		delay: 0, priority: 0, data: {to: `user${id}@example.com`}, ...extra,
	};
}

function detail(summary: JobSummary, extra: Partial<JobDetail> = {}): JobDetail {
	return {
		...summary, opts: {attempts: 3}, stacktrace: ['Error: SMTP 421\n    at send (mailer.js:10:5)'], returnvalue: null, progress: 0,
		attemptsStarted: summary.attemptsMade, parent: null, processedBy: 'worker-a1', logs: {total: 1, lines: ['connecting to smtp']}, ...extra,
	};
}

/** Pages of `total` generated jobs per state (ids `${state[0]}${n}`), or the given jobs. */
const pages = (fixed: Partial<Record<JobState, JobSummary[]>> = {}, total = 3) => async (queue: string, state: string, limit: number, offset: number): Promise<JobPage> => {
	const all = fixed[state as JobState] ?? Array.from({length: total}, (_, index) => job(String(index + 1), state as JobState));
	return {queue, state: state as JobState, total: all.length, offset, limit, jobs: all.slice(offset, offset + limit)};
};

const callsOf = (api: {calls: Call[]}, method: keyof ConsoleApi) => api.calls.filter(call => call.method === method).map(call => call.args);
const WRITES: Array<keyof ConsoleApi> = ['retry', 'retryAll', 'remove', 'flushFailed', 'setPaused'];

describe('console: jobs view and job detail', () => {
	let harness: ConsoleHarness | undefined;
	afterEach(() => harness?.unmount());

	it('opens on the failed jobs of a queue that has some, with their reasons and the page info', async () => {
		const api = fixtureApi({snapshot: async () => snapshot([{name: 'emails', failed: 3}]), jobs: pages()});
		harness = await renderConsole(api, {view: 'jobs', queue: 'emails'});
		const frame = await harness.waitFor(text => text.includes('SMTP 421 for job 3'), 'the failed jobs');
		assert.match(frame, /ID\s+NAME\s+ATTEMPTS\s+FAILED\s+REASON/);
		assert.match(frame, /▸ 1\s+send-1\s+3\s+4\ds ago\s+SMTP 421 for job 1/);
		assert.match(frame, /1–3 of 3 failed/);
		assert.match(frame, /7 failed 3/);
		assert.deepEqual(callsOf(api, 'jobs')[0]?.slice(0, 2), ['emails', 'failed']);
	});

	it('a long failed reason uses the width the terminal has: whole at 160 columns, cut with … at 80', async () => {
		const reason = `core banking API timed out after 30000 ms while posting loan repayment batch ${'x'.repeat(20)} (attempt 3 of 3)`;
		const jobs = pages({failed: [job('1', 'failed', {failedReason: reason})]});
		harness = await renderConsole(fixtureApi({snapshot: async () => snapshot([{name: 'emails', failed: 1}]), jobs}), {view: 'jobs', queue: 'emails'}, {columns: 160, rows: 20});
		const wide = await harness.waitFor(text => text.includes('1–1 of 1 failed'), 'the failed job');
		assert.ok(wide.includes(reason), `the reason is cut at 160 columns:\n${wide}`);
		harness.unmount();
		harness = await renderConsole(fixtureApi({snapshot: async () => snapshot([{name: 'emails', failed: 1}]), jobs}), {view: 'jobs', queue: 'emails'}, {columns: 80, rows: 20});
		const narrow = await harness.waitFor(text => text.includes('1–1 of 1 failed'), 'the failed job');
		assert.match(narrow, /core banking API timed out[^\n]*…/);
		assert.ok(narrow.split('\n').every(line => line.length <= 80), `a line wider than 80 columns:\n${narrow}`);
	});

	it('] and [ switch to the next and previous queue, each opening on its own default state', async () => {
		const api = fixtureApi({snapshot: async () => snapshot([{name: 'high'}, {name: 'emails', failed: 3}]), jobs: pages()});
		harness = await renderConsole(api, {view: 'jobs', queue: 'high'});
		await harness.waitFor(text => text.includes('1–3 of 3 waiting'), 'the waiting jobs of high');
		await harness.press('next-queue', 'jobs');
		await harness.waitFor(text => text.includes('1–3 of 3 failed'), 'the failed jobs of emails');
		assert.deepEqual(callsOf(api, 'jobs').at(-1)?.slice(0, 2), ['emails', 'failed']);
		await harness.press('previous-queue', 'jobs');
		await harness.waitFor(text => text.includes('1–3 of 3 waiting'), 'high again');
		assert.deepEqual(callsOf(api, 'jobs').at(-1)?.slice(0, 2), ['high', 'waiting']);
	});

	it('back from a job returns to the same state, page and row', async () => {
		const api = fixtureApi({snapshot: async () => snapshot([{name: 'emails', failed: 3}]), jobs: pages(), job: async (_queue, id) => detail(job(id, 'completed'))});
		harness = await renderConsole(api, {view: 'jobs', queue: 'emails'});
		await harness.waitFor(text => text.includes('1–3 of 3 failed'), 'the failed jobs');
		await harness.press('state-6', 'jobs');
		await harness.waitFor(text => text.includes('1–3 of 3 completed'), 'the completed jobs');
		await harness.press('down', 'jobs');
		await harness.waitFor(text => /▸ 2\s+send-2/.test(text), 'the second job selected');
		await harness.press('inspect', 'jobs');
		await harness.waitFor(text => text.includes('user2@example.com'), 'the detail of job 2');
		await harness.press('back', 'job');
		const back = await harness.waitFor(text => text.includes('1–3 of 3 completed'), 'the completed jobs again');
		assert.match(back, /▸ 2\s+send-2/);
	});

	it('without a route it takes the first queue, and waiting when that queue has no failed jobs', async () => {
		const api = fixtureApi({snapshot: async () => snapshot([{name: 'high'}, {name: 'emails', failed: 3}]), jobs: pages()});
		harness = await renderConsole(api, {view: 'jobs'});
		const frame = await harness.waitFor(text => text.includes('1–3 of 3 waiting'), 'the waiting jobs of high');
		assert.match(frame, /ID\s+NAME\s+ATTEMPTS\s+ADDED\s+DATA/);
		assert.match(frame, /user1@example\.com/);
		assert.deepEqual(callsOf(api, 'jobs')[0]?.slice(0, 2), ['high', 'waiting']);
	});

	it('1-7 switch the state: the page is read again in the new state', async () => {
		const api = fixtureApi({snapshot: async () => snapshot([{name: 'emails', failed: 3}]), jobs: pages()});
		harness = await renderConsole(api, {view: 'jobs', queue: 'emails'});
		await harness.waitFor(text => text.includes('of 3 failed'), 'the failed jobs');
		await harness.press('state-2', 'jobs');
		const frame = await harness.waitFor(text => text.includes('of 3 active'), 'the active jobs');
		assert.match(frame, /ID\s+NAME\s+ATTEMPTS\s+STARTED/);
		assert.deepEqual(callsOf(api, 'jobs').at(-1)?.slice(0, 2), ['emails', 'active']);
		await harness.press('state-6', 'jobs');
		await harness.waitFor(text => text.includes('of 3 completed'), 'the completed jobs');
		assert.deepEqual(callsOf(api, 'jobs').at(-1)?.slice(0, 2), ['emails', 'completed']);
	});

	it('pages are as tall as the screen: PgDn on the last row loads the next page, PgUp on the first the previous', async () => {
		const api = fixtureApi({snapshot: async () => snapshot([{name: 'emails'}]), jobs: pages({}, 50)});
		harness = await renderConsole(api, {view: 'jobs', queue: 'emails', state: 'waiting'});
		await harness.waitFor(text => /1–\d+ of 50 waiting/.test(text), 'the first page');
		const limit = callsOf(api, 'jobs')[0]![2] as number;
		assert.ok(limit >= 10 && limit < 30, `a page that fits 30 rows, not ${limit}`);
		assert.ok(callsOf(api, 'jobs').every(args => (args[2] as number) <= limit), 'never more than a page');
		await harness.press('page-down', 'jobs');
		await harness.waitFor(text => new RegExp(`▸ ${limit}\\s`).test(text), 'the last row selected');
		await harness.press('page-down', 'jobs');
		await harness.waitFor(text => text.includes(`${limit + 1}–${2 * limit} of 50`), 'the second page');
		assert.deepEqual(callsOf(api, 'jobs').at(-1), ['emails', 'waiting', limit, limit]);
		await harness.press('page-up', 'jobs');
		await harness.waitFor(text => text.includes(`1–${limit} of 50`), 'the first page again');
		assert.deepEqual(callsOf(api, 'jobs').at(-1), ['emails', 'waiting', limit, 0]);
	});

	it('Space marks two jobs and r retries exactly those; r on waiting jobs explains why not', async () => {
		const api = fixtureApi({
			snapshot: async () => snapshot([{name: 'emails', failed: 3}]),
			jobs: pages(),
			retry: async (queue, ids) => ({queue, action: 'retry', count: ids.length, dryRun: false, notFailed: []}),
		});
		harness = await renderConsole(api, {view: 'jobs', queue: 'emails'});
		await harness.waitFor(text => text.includes('SMTP 421 for job 3'), 'the failed jobs');
		await harness.press('mark', 'jobs');
		await harness.press('down', 'jobs');
		await harness.press('down', 'jobs');
		await harness.press('mark', 'jobs');
		const marked = await harness.waitFor(text => text.includes('2 marked'), 'two marks');
		assert.match(marked, /● 1\s+send-1/);
		assert.match(marked, /● 3\s+send-3/);
		await harness.press('retry', 'jobs');
		await harness.waitFor(text => text.includes('retried 2 jobs of emails'), 'the outcome');
		assert.deepEqual(callsOf(api, 'retry'), [['emails', ['1', '3']]]);
		await harness.press('state-1', 'jobs');
		await harness.waitFor(text => text.includes('of 3 waiting'), 'the waiting jobs');
		await harness.press('retry', 'jobs');
		await harness.waitFor(text => text.includes('only failed jobs can be retried'), 'the explanation');
		assert.equal(callsOf(api, 'retry').length, 1);
	});

	it('D asks for the queue name, deletes only once it is typed, and says which jobs a worker holds', async () => {
		const api = fixtureApi({
			snapshot: async () => snapshot([{name: 'emails'}]),
			jobs: pages(),
			remove: async (queue, ids) => ({queue, action: 'delete', count: 0, dryRun: false, notRemoved: [...ids]}),
		});
		harness = await renderConsole(api, {view: 'jobs', queue: 'emails', state: 'active'});
		await harness.waitFor(text => text.includes('of 3 active'), 'the active jobs');
		await harness.press('mark', 'jobs');
		await harness.press('down', 'jobs');
		await harness.press('mark', 'jobs');
		await harness.press('delete', 'jobs');
		await harness.waitFor(text => text.includes('Delete the 2 marked active jobs of "emails"? Type "emails" to confirm'), 'the confirmation');
		await harness.type('emails');
		assert.equal(callsOf(api, 'remove').length, 0, 'nothing deleted before Enter');
		await harness.key('enter');
		await harness.waitFor(text => text.includes('2 active jobs were not deleted: a worker holds them'), 'the outcome');
		assert.deepEqual(callsOf(api, 'remove'), [['emails', ['1', '2']]]);
	});

	it('/ filters the page by id, name or reason; Esc clears the marks first, then the filter', async () => {
		const api = fixtureApi({snapshot: async () => snapshot([{name: 'emails', failed: 3}]), jobs: pages({failed: [job('1', 'failed'), job('2', 'failed', {failedReason: 'read ECONNRESET'}), job('3', 'failed')]})});
		harness = await renderConsole(api, {view: 'jobs', queue: 'emails'});
		await harness.waitFor(text => text.includes('ECONNRESET'), 'the failed jobs');
		await harness.press('filter', 'jobs');
		await harness.type('econn');
		await harness.key('enter');
		const filtered = await harness.waitFor(text => text.includes('filter "econn": 1 of this page'), 'the filtered page');
		assert.match(filtered, /▸ 2\s+send-2/);
		assert.doesNotMatch(filtered, /send-1|send-3/);
		await harness.press('mark', 'jobs');
		await harness.waitFor(text => text.includes('1 marked'), 'the mark');
		await harness.press('cancel', 'jobs');
		const unmarked = await harness.waitFor(text => !text.includes('marked'), 'the marks cleared');
		assert.match(unmarked, /filter "econn"/);
		await harness.press('cancel', 'jobs');
		await harness.waitFor(text => text.includes('send-1') && !text.includes('filter "econn"'), 'the whole page again');
	});

	it('R and F act on the whole queue once its name is typed; p resumes a paused queue', async () => {
		const api = fixtureApi({
			snapshot: async () => snapshot([{name: 'emails', failed: 3, paused: true}]),
			jobs: pages(),
			retryAll: async queue => ({queue, action: 'retry', count: 3, dryRun: false}),
			flushFailed: async queue => ({queue, action: 'clean', count: 3, dryRun: false}),
			setPaused: async queue => ({queue, action: 'resume', count: 1, dryRun: false}),
		});
		harness = await renderConsole(api, {view: 'jobs', queue: 'emails'});
		await harness.waitFor(text => text.includes('PAUSED') && text.includes('of 3 failed'), 'the paused queue');
		await harness.press('retry-all', 'jobs');
		await harness.waitFor(text => text.includes('Retry all 3 failed jobs of "emails"? Type "emails" to confirm'), 'the confirmation');
		await harness.type('emails');
		await harness.key('enter');
		await harness.waitFor(text => text.includes('retried 3 failed jobs of emails'), 'the retry outcome');
		await harness.press('flush', 'jobs');
		await harness.type('emale');
		await harness.key('enter');
		await harness.waitFor(text => text.includes('not confirmed'), 'the refusal');
		assert.equal(callsOf(api, 'flushFailed').length, 0);
		await harness.press('flush', 'jobs');
		await harness.type('emails');
		await harness.key('enter');
		await harness.waitFor(text => text.includes('deleted 3 failed jobs of emails'), 'the flush outcome');
		await harness.press('pause', 'jobs');
		await harness.waitFor(text => text.includes('resumed emails'), 'the resume outcome');
		const queueOf = (calls: unknown[][]) => calls.map(args => args[0]);
		assert.deepEqual([queueOf(callsOf(api, 'retryAll')), queueOf(callsOf(api, 'flushFailed')), callsOf(api, 'setPaused')], [['emails'], ['emails'], [['emails', false]]]);
	});

	it('a long reason in the detail wraps between words, its continuations indented under it', async () => {
		const reason = 'invalid job data at "period": Invalid type: Expected ("scheduled" | "daily" | "weekly" | "monthly") but received "yearly"';
		const failed = job('1', 'failed', {failedReason: reason});
		harness = await renderConsole(fixtureApi({job: async () => detail(failed, {stacktrace: []})}), {view: 'job', queue: 'emails', id: '1'}, {columns: 50, rows: 30});
		const frame = await harness.waitFor(text => text.includes('Failed reason'), 'the job detail');
		const lines = frame.split('\n');
		const start = lines.findIndex(line => line.startsWith('Failed reason'));
		const end = lines.findIndex((line, index) => index > start && !line.startsWith('  '));
		const wrapped = lines.slice(start + 1, end);
		assert.ok(wrapped.length > 1, `the reason is not wrapped:\n${frame}`);
		assert.ok(wrapped.every(line => line.length <= 50), `a line wider than the terminal:\n${frame}`);
		assert.ok(wrapped.slice(1).every(line => line.startsWith('    ') && !line.startsWith('     ')), `continuations hang under the reason:\n${wrapped.join('\n')}`);
		assert.equal(wrapped.map(line => line.trim()).join(' '), reason, 'no word cut in two, none lost');
	});

	it('Enter opens the job: its reason, stack trace, data and logs; D there deletes it and says so', async () => {
		const failed = job('1', 'failed');
		const api = fixtureApi({
			snapshot: async () => snapshot([{name: 'emails', failed: 1}]),
			jobs: pages({failed: [failed]}),
			job: async () => detail(failed),
			remove: async (queue, ids) => ({queue, action: 'delete', count: ids.length, dryRun: false, notRemoved: []}),
		});
		harness = await renderConsole(api, {view: 'jobs', queue: 'emails'});
		await harness.waitFor(text => text.includes('SMTP 421 for job 1'), 'the failed job');
		await harness.press('inspect', 'jobs');
		const frame = await harness.waitFor(text => text.includes('Stack trace'), 'the job detail');
		assert.match(frame, /emails \/ 1\s+send-1\s+failed\s+attempts 3 made, 3 started\s+by worker-a1/);
		assert.match(frame, /Failed reason\n\s+SMTP 421 for job 1/);
		assert.match(frame, /at send \(mailer\.js:10:5\)/);
		assert.match(frame, /"to": "user1@example\.com"/);
		assert.match(frame, /connecting to smtp/);
		assert.deepEqual(callsOf(api, 'job')[0], ['emails', '1']);
		await harness.press('delete', 'job');
		await harness.waitFor(text => text.includes('Type "emails" to confirm'), 'the confirmation');
		await harness.type('emails');
		await harness.key('enter');
		await harness.waitFor(text => text.includes('job 1 of emails was deleted') && text.includes('deleted 1 job of emails'), 'the deletion');
		assert.deepEqual(callsOf(api, 'remove'), [['emails', ['1']]]);
	});

	it('a vanished job shows the API\'s message; r on a job that is not failed explains why not', async () => {
		const api = fixtureApi({job: async (queue, id) => Promise.reject(new Error(`no job "${id}" in queue "${queue}"`))});
		harness = await renderConsole(api, {view: 'job', queue: 'emails', id: '9'});
		await harness.waitFor(text => text.includes('no job "9" in queue "emails"'), 'the not-found message');
		harness.unmount();
		const waiting = fixtureApi({job: async () => detail(job('2', 'waiting'))});
		harness = await renderConsole(waiting, {view: 'job', queue: 'emails', id: '2'});
		await harness.waitFor(text => text.includes('Data'), 'the job detail');
		await harness.press('retry', 'job');
		await harness.waitFor(text => text.includes('only a failed job can be retried, and this one is waiting'), 'the explanation');
		assert.equal(callsOf(waiting, 'retry').length, 0);
	});

	it('a corrupt job shows its dataError, in the table and in the detail', async () => {
		const corrupt = job('5', 'failed', {data: null, dataError: 'not valid JSON: Unexpected token } in JSON'});
		const api = fixtureApi({snapshot: async () => snapshot([{name: 'emails', failed: 1}]), jobs: pages({waiting: [{...corrupt, state: 'waiting'}]}), job: async () => detail(corrupt)});
		harness = await renderConsole(api, {view: 'jobs', queue: 'emails', state: 'waiting'});
		await harness.waitFor(text => text.includes('<not valid JSON: Unexpected token'), 'the dataError in the table');
		await harness.press('inspect', 'jobs');
		const frame = await harness.waitFor(text => text.includes('Data: not valid JSON: Unexpected token } in JSON'), 'the dataError in the detail');
		assert.match(frame, /Options\n\s+\{/);
	});

	it('hostile job text (ESC, C1 CSI, newlines) is shown with visible stand-ins, never raw', async () => {
		const hostile = job('6', 'failed', {
			name: 'evil\u001b[2J\u009b31mname\nline2',
			failedReason: 'boom\u001b]52;c;aGk=\u0007\u009b2J',
			data: {x: 'data\u001b[31m\u009bred'},
		});
		const api = fixtureApi({
			snapshot: async () => snapshot([{name: 'emails', failed: 1}]),
			jobs: pages({failed: [hostile]}),
			job: async () => detail(hostile, {stacktrace: ['Error\u001b[2K\u009b1m\n    at evil (x.js:1:1)\r\u001b[1Afake line'], logs: {total: 1, lines: ['log\u001b[H\u009b0m']}}),
		});
		// The stripped frame has no control character at all; the raw one (Ink's own SGR styling aside) none of the job's.
		const inert = (frame: string) => {
			assert.ok(!/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/.test(frame), `raw control characters in: ${JSON.stringify(frame)}`);
			const raw = harness!.rawFrame();
			for (const bytes of ['\u001b[2J', '\u001b[2K', '\u001b[1A', '\u001b[H', '\u001b]', '\u0007', '\u009b', '\r']) assert.ok(!raw.includes(bytes), `${JSON.stringify(bytes)} raw in: ${JSON.stringify(raw)}`);
		};
		harness = await renderConsole(api, {view: 'jobs', queue: 'emails'});
		const table = await harness.waitFor(text => text.includes('evil'), 'the hostile job in the table');
		inert(table);
		assert.match(table, /evil␛\[2J<U\+009B>31mname␤line2/);
		assert.match(table, /boom␛\]52;c;aGk=␇<U\+009B>2J/);
		await harness.press('inspect', 'jobs');
		const frame = await harness.waitFor(text => text.includes('Stack trace'), 'the hostile job detail');
		inert(frame);
		assert.match(frame, /Error␛\[2K<U\+009B>1m/);
		assert.match(frame, /␍␛\[1Afake line/);
		assert.match(frame, /data\\u001b\[31m<U\+009B>red/); // JSON.stringify escapes C0 itself
		assert.match(frame, /log␛\[H<U\+009B>0m/);
	});

	it('read-only: no r, D, R, F or p in the footer, those keys only say they are off, and nothing is written', async () => {
		const failed = job('1', 'failed');
		const api = fixtureApi({readOnly: true, snapshot: async () => snapshot([{name: 'emails', failed: 1}]), jobs: pages({failed: [failed]}), job: async () => detail(failed)});
		harness = await renderConsole(api, {view: 'jobs', queue: 'emails'});
		const frame = await harness.waitFor(text => text.includes('SMTP 421 for job 1'), 'the failed job');
		const footer = frame.trimEnd().split('\n').at(-1)!;
		assert.match(footer, /Enter inspect/);
		assert.doesNotMatch(footer, /retry|delete|flush|pause/);
		for (const key of ['r', 'D', 'R', 'F', 'p']) {
			await harness.key(key);
			await harness.waitFor(text => /read-only: ".+" is off/.test(text), `the read-only note for ${key}`);
		}
		await harness.press('inspect', 'jobs');
		const detailFrame = await harness.waitFor(text => text.includes('Stack trace'), 'the job detail');
		assert.doesNotMatch(detailFrame.trimEnd().split('\n').at(-1)!, /retry|delete/);
		await harness.key('r');
		await harness.key('D');
		await harness.waitFor(text => text.includes('read-only: "delete" is off'), 'the read-only note');
		assert.deepEqual(WRITES.flatMap(method => callsOf(api, method)), []);
	});
});
