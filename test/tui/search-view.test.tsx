/**
 * `:find` and the search view on the fixture API: `:find +2557` searches the
 * first queue's failed jobs and shows the matches as the jobs view draws
 * them, with the coverage line; progress while it runs, Esc stops it (the
 * signal reaches the search) and a second Esc goes back; Enter opens a match
 * and back shows the same outcome without searching again; `:find sms
 * completed TEXT` names queue and state; hostile job text is inert; and the
 * command line's parsing of `:find`.
 */
import {afterEach, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import type {JobSummary, SearchProgress, SearchResult} from '../../source/common/types.js';
import type {ConsoleApi} from '../../source/store/console-api.js';
import {parseCommand} from '../../source/tui/command-line.js';
import {fixtureApi, renderConsole, snapshotOf, type Call, type ConsoleHarness} from '../helpers/console.js';

const NOW = Date.now();
const QUEUES = [{name: 'emails', failed: 3}, {name: 'sms', failed: 600}];

function job(id: string, to: string, extra: Partial<JobSummary> = {}): JobSummary {
	return {id, queue: 'emails', name: 'sms.send', state: 'failed', attemptsMade: 3, failedReason: `gateway refused ${id}`, timestamp: NOW - 60_000, processedOn: NOW - 50_000, finishedOn: NOW - 40_000, delay: 0, priority: 0, data: {to}, ...extra};
}

function result(matches: JobSummary[], over: Partial<SearchResult> = {}): SearchResult {
	return {queue: 'emails', state: 'failed', text: '+2557', matches, matched: matches.length, scanned: 600, total: 600, complete: true, fieldBytes: 16_384, unread: 0, unreadAbove: 262_144, ...over};
}

type SearchArgs = [string, string, string, (progress: SearchProgress) => void, AbortSignal];
const callsOf = (api: {calls: Call[]}, method: keyof ConsoleApi) => api.calls.filter(call => call.method === method).map(call => call.args);

describe('console: :find and the search view', () => {
	let harness: ConsoleHarness | undefined;
	afterEach(() => {
		harness?.unmount();
		harness = undefined;
	});

	const open = async (over: Partial<ConsoleApi>) => {
		const api = fixtureApi({snapshot: async () => snapshotOf(QUEUES), queueNames: async () => QUEUES.map(queue => queue.name), ...over});
		harness = await renderConsole(api);
		await harness.waitFor(text => /▸ emails/.test(text), 'the queue table');
		return {api, console: harness};
	};

	const find = async (console: ConsoleHarness, text: string) => {
		await console.key(':');
		await console.type(text);
		await console.key('enter');
	};

	it(':find +2557 searches the first queue\'s failed jobs and shows the matches as the jobs view does, then the coverage', async () => {
		const matches = [job('17', '+255712300017'), job('9', '+255712300009')];
		const {api, console} = await open({
			searchJobs: async (queue, state, text, onProgress) => {
				onProgress({scanned: 250, total: 600, matched: 1});
				return result(matches, {queue, text, matched: 2});
			},
		});
		await find(console, 'find +2557');
		const frame = await console.waitFor(text => text.includes('searched all 600 failed, 2 matches'), 'the coverage line');
		assert.match(frame, /find "\+2557" in emails failed/);
		assert.match(frame, /ID\s+NAME\s+ATTEMPTS\s+FAILED\s+REASON/);
		assert.match(frame, /▸ 17\s+sms\.send\s+3\s+4\ds ago\s+gateway refused 17/);
		assert.match(frame, /\n\s+9\s+sms\.send\s+3\s+4\ds ago\s+gateway refused 9/);
		const [args] = callsOf(api, 'searchJobs') as SearchArgs[];
		assert.deepEqual(args!.slice(0, 3), ['emails', 'failed', '+2557']);
	});

	it(':find on a queue\'s jobs searches that queue, not the first one', async () => {
		const {api, console} = await open({
			jobs: async (queue, state, limit, offset) => ({queue, state: state as 'failed', total: 0, offset, limit, jobs: []}),
			searchJobs: async (queue, state, text) => result([], {queue, state: state as 'failed', text}),
		});
		await find(console, `jobs ${QUEUES.at(-1)!.name} failed`);
		await console.waitFor(text => text.includes(`${QUEUES.at(-1)!.name}  `), 'the jobs of the last queue');
		await find(console, 'find +2557');
		await console.waitFor(text => text.includes('searched all'), 'the search done');
		const [args] = callsOf(api, 'searchJobs') as SearchArgs[];
		assert.deepEqual(args!.slice(0, 3), [QUEUES.at(-1)!.name, 'failed', '+2557']);
	});

	it('shows progress while it searches; Esc stops it (the signal reaches the search) and says how far it got; Esc again goes back', async () => {
		let signal: AbortSignal | undefined;
		const {console} = await open({
			searchJobs: async (queue, state, text, onProgress, abort) => {
				signal = abort;
				onProgress({scanned: 4000, total: 230_000, matched: 2});
				await new Promise(resolve => abort.addEventListener('abort', resolve, {once: true}));
				return result([job('5', '+255799'), job('4', '+255798')], {queue, state: 'failed', text, scanned: 4000, total: 230_000, complete: false, stoppedBy: 'signal'});
			},
		});
		await find(console, 'find sms failed +2557');
		await console.waitFor(text => text.includes('searched 4,000 of 230,000 failed · 2 matches · Esc stops'), 'the progress line');
		assert.equal(signal?.aborted, false);
		await console.key('escape');
		const frame = await console.waitFor(text => text.includes('stopped: searched 4,000 of 230,000 failed, 2 matches'), 'the stopped search');
		assert.equal(signal?.aborted, true, 'Esc aborted the search\'s signal');
		assert.match(frame, /find "\+2557" in sms failed/, 'still on the search view');
		assert.match(frame, /▸ 5\s+sms\.send/);
		await console.key('escape');
		await console.waitFor(text => /QUEUE\s+STATE/.test(text) && !text.includes('find "'), 'back on the queues view');
	});

	it('Enter opens a match; back shows the same outcome without searching again; ^R searches again', async () => {
		const {api, console} = await open({
			searchJobs: async (queue, state, text) => result([job('17', '+255712300017', {queue})], {queue, state: state as 'completed', text}),
			job: async (queue, id) => ({...job(id, '+255712300017', {queue}), opts: {}, stacktrace: [], returnvalue: null, progress: 0, attemptsStarted: 3, parent: null, processedBy: null, logs: {total: 0, lines: []}}),
		});
		await find(console, 'find sms completed loan 42');
		await console.waitFor(text => text.includes('searched all 600 completed, 1 match'), 'the outcome');
		assert.deepEqual((callsOf(api, 'searchJobs') as SearchArgs[]).map(args => args.slice(0, 3)), [['sms', 'completed', 'loan 42']]);
		await console.press('inspect', 'search');
		await console.waitFor(text => text.includes('sms / 17'), 'the job');
		assert.deepEqual(callsOf(api, 'job'), [['sms', '17']]);
		await console.key('escape');
		await console.waitFor(text => text.includes('searched all 600 completed, 1 match') && /▸ 17/.test(text), 'the same outcome');
		assert.equal(callsOf(api, 'searchJobs').length, 1, 'not searched again');
		await console.key('ctrl-r');
		await console.waitFor(() => callsOf(api, 'searchJobs').length === 2, 'a second search');
		await console.waitFor(text => text.includes('searched all 600 completed, 1 match'), 'its outcome');
	});

	it('a match\'s hostile text is shown inert; no match is said with what was searched', async () => {
		const hostile = job('66', '+255700', {failedReason: '\u001B]0;pwned\u0007\u001B[2Jgateway said no'});
		const {console} = await open({searchJobs: async (queue, state, text) => result(text === 'none' ? [] : [hostile], {queue, text, ...(text === 'none' ? {matched: 0, scanned: 10_000, total: 230_000, complete: false, stoppedBy: 'limit'} : {})})});
		await find(console, 'find gateway');
		await console.waitFor(text => text.includes('gateway said no'), 'the hostile match');
		assert.ok(!console.rawFrame().includes('\u001B]0;') && !console.rawFrame().includes('\u0007'), 'a raw control sequence reached the terminal');
		await find(console, 'find none');
		const frame = await console.waitFor(text => text.includes('searched 10,000 of 230,000 failed, no match; the newest 10,000 only'), 'the partial coverage');
		assert.match(frame, /no match/);
	});

	it('parses :find [queue [state]] TEXT; without a text it says how', () => {
		const queues = ['emails', 'sms'];
		assert.deepEqual(parseCommand(':find +2557', queues), {kind: 'go', route: {view: 'search', state: 'failed', text: '+2557'}});
		assert.deepEqual(parseCommand(':find sms +2557', queues), {kind: 'go', route: {view: 'search', queue: 'sms', state: 'failed', text: '+2557'}});
		assert.deepEqual(parseCommand(':find sms waiting loan  42', queues), {kind: 'go', route: {view: 'search', queue: 'sms', state: 'waiting', text: 'loan  42'}});
		assert.deepEqual(parseCommand(':find sms', queues), {kind: 'go', route: {view: 'search', state: 'failed', text: 'sms'}}, 'a lone word is the text');
		assert.deepEqual(parseCommand(':fi failed', queues), {kind: 'go', route: {view: 'search', state: 'failed', text: 'failed'}});
		const empty = parseCommand(':find', queues);
		assert.equal(empty.kind, 'error');
		assert.match((empty as {message: string}).message, /usage: :find \[queue \[state\]\] TEXT/);
	});
});
