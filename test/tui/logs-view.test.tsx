/**
 * The logs view's cursor and what it opens: the cursor stays on the newest
 * line while following and stays put once moved up; w wraps a long error line
 * so all of it reads at 80 columns, h/l scroll it sideways when cut; Enter
 * shows the selected line whole (every JSON field, the stack on its own rows,
 * hostile text inert) and Esc or q closes it; a job's own lines are marked
 * (also bold, which the colourless test terminal does not show).
 */
import {afterEach, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import type {LogLine} from '../../source/process/logs.js';
import type {ConsoleApi} from '../../source/store/console-api.js';
import {fixtureApi, renderConsole, type ConsoleHarness} from '../helpers/console.js';

const line = (text: string, service = 'worker@high'): LogLine => ({service, time: Date.UTC(2026, 10, 28, 12, 3, 5), pid: 7, text});
const jsonLine = (fields: Record<string, unknown>) => line(JSON.stringify({level: 'info', time: '2026-11-28T12:03:05.000Z', pid: 7, ...fields}));
/** The rows of the view's body (between the tab line and the flash line), the status line first. */
const body = (frame: string) => frame.split('\n').slice(1, -2);
const reason = 'SMTP 421 4.7.0 Try again later, closing connection; the remote server said: too many connections from your address END';
const failed = jsonLine({level: 'error', queue: 'emails', jobId: '43', jobName: 'send', attempt: 2, msg: 'job failed', err: reason});

/** A logs() that sends `initial`, then, when following, waits for the abort; `streams` keeps each call's onLine. */
function streamingLogs(initial: LogLine[]) {
	const streams: Array<{onLine: (line: LogLine) => void}> = [];
	const logs: ConsoleApi['logs'] = async (_name, options, onLine) => {
		streams.push({onLine});
		for (const entry of initial) onLine(entry);
		if (options.follow) await new Promise(resolve => options.signal?.addEventListener('abort', resolve, {once: true}));
	};
	return {logs, streams};
}

describe('console: logs view', () => {
	let harness: ConsoleHarness | undefined;
	afterEach(() => {
		harness?.unmount();
		harness = undefined;
	});

	it('the cursor stays on the newest line while following; moved up, it stays on its line as lines arrive', async () => {
		const {logs, streams} = streamingLogs([line('line one'), line('line two')]);
		harness = await renderConsole(fixtureApi({logs}), {view: 'logs', service: 'worker@high'});
		await harness.waitFor(text => /▸ \S+ \S+ worker@high line two/.test(text), 'the cursor on the newest line');
		streams[0]!.onLine(line('line three'));
		const followed = await harness.waitFor(text => /▸ \S+ \S+ worker@high line three/.test(text), 'the cursor on the new line');
		assert.doesNotMatch(followed, /▸ \S+ \S+ worker@high line two/);
		await harness.press('up', 'logs');
		await harness.waitFor(text => /▸ \S+ \S+ worker@high line two/.test(text) && text.includes('scrolled back'), 'the cursor moved up');
		streams[0]!.onLine(line('line four'));
		const held = await harness.waitFor(text => text.includes('line four'), 'a later line');
		assert.match(held, /▸ \S+ \S+ worker@high line two/, 'the cursor stayed on its line');
		await harness.press('bottom', 'logs');
		await harness.waitFor(text => /▸ \S+ \S+ worker@high line four/.test(text) && !text.includes('scrolled back'), 'the newest line again');
	});

	it('at 80 columns a long error line is cut; w wraps it onto the following rows, whole; w again cuts it', async () => {
		const {logs} = streamingLogs([line('before'), failed]);
		harness = await renderConsole(fixtureApi({logs}), {view: 'logs', service: 'worker@high'}, {columns: 80, rows: 20});
		const cut = await harness.waitFor(text => text.includes('job failed'), 'the error line');
		assert.doesNotMatch(cut, /END/, 'the end of the reason is past the edge');
		await harness.press('wrap', 'logs');
		const wrapped = await harness.waitFor(text => text.includes('END'), 'the whole reason');
		assert.match(wrapped, /wrapped \(w cuts\)/);
		const rows = body(wrapped);
		assert.ok(rows.every(row => row.length <= 80), `a row wider than 80 columns:\n${wrapped}`);
		const first = rows.findIndex(row => row.includes('job failed'));
		const joined = rows.slice(first).map(row => row.slice(2)).join('').replace(/\s+/g, '');
		assert.ok(joined.includes(`ERROR job failed emails/43 (send) attempt 2 err: ${reason}`.replace(/\s+/g, '')), `not the whole line in order:\n${wrapped}`);
		assert.match(rows[first]!, /^▸ 2026-11-28 12:03:05 worker@high ERROR job failed/);
		assert.doesNotMatch(rows[first + 1]!, /▸/, 'a continuation row has no cursor of its own');
		await harness.press('wrap', 'logs');
		await harness.waitFor(text => !text.includes('END') && !text.includes('wrapped'), 'cut again');
	});

	it('not wrapping, l scrolls cut lines right half a screen at a time as far as the longest goes; h scrolls back', async () => {
		const {logs} = streamingLogs([failed]);
		harness = await renderConsole(fixtureApi({logs}), {view: 'logs', service: 'worker@high'}, {columns: 80, rows: 12});
		await harness.waitFor(text => text.includes('job failed'), 'the error line');
		await harness.press('scroll-right', 'logs');
		const once = await harness.waitFor(text => text.includes('from column 40'), 'scrolled right once');
		assert.doesNotMatch(once, /2026-11-28 12:03:05 worker@high/, 'the start of the line is off the left edge');
		assert.match(once, /▸ ob failed emails\/43/);
		await harness.key('right');
		await harness.key('l');
		await harness.key('l');
		const far = await harness.waitFor(text => text.includes('END'), 'the end of the reason');
		assert.ok(body(far).every(row => row.length <= 80), far);
		await harness.key('l');
		await harness.waitFor(text => text.includes('nothing is cut off further right'), 'the end reached');
		for (let step = 0; step < 4; step++) await harness.key('h');
		const back = await harness.waitFor(text => /▸ 2026-11-28 12:03:05 worker@high ERROR/.test(text), 'back at the first column');
		assert.doesNotMatch(back, /from column/);
		await harness.press('wrap', 'logs');
		await harness.key('left');
		await harness.waitFor(text => text.includes('lines wrap, nothing is cut off'), 'no sideways scroll while wrapping');
	});

	it('Enter shows the selected line with every field, the stack on its rows, hostile text inert; Esc and q close it, not the view', async () => {
		const stack = 'Error: SMTP 421\n    at send (/srv/app/mail.js:12:9)\n    at run (/srv/app/worker.js:40:3)';
		const detailed = jsonLine({level: 50, queue: 'emails', jobId: 43, jobName: 'send', attempt: 2, durationMs: 1500, msg: 'job failed \u001B]0;pwned\u0007', err: {type: 'Error', message: 'SMTP 421 \u001B[2J', stack}});
		const {logs} = streamingLogs([detailed, line('plain text \u009B31m from a shell script')]);
		harness = await renderConsole(fixtureApi({logs}), {view: 'logs', service: 'worker@high'}, {columns: 100, rows: 30});
		await harness.waitFor(text => /▸ .*plain text/.test(text), 'the lines');
		await harness.press('up', 'logs');
		await harness.press('inspect', 'logs');
		const frame = await harness.waitFor(text => text.includes('Esc or q closes'), 'the detail');
		assert.match(frame, /line 1 of worker@high · Esc or q closes/);
		for (const field of [/time\s+2026-11-28 12:03:05/, /level\s+error/, /service\s+worker@high/, /pid\s+7/, /msg\s+job failed ␛\]0;pwned␇/, /queue\s+emails/, /jobId\s+43/, /jobName\s+send/, /attempt\s+2/, /durationMs\s+1500 \(1s\)/, /err\.type\s+Error/, /err\.message\s+SMTP 421 ␛\[2J/, /err\.stack\s+Error: SMTP 421\n\s+at send \(\/srv\/app\/mail\.js:12:9\)\n\s+at run \(\/srv\/app\/worker\.js:40:3\)/]) {
			assert.match(frame, field);
		}
		const raw = harness.rawFrame();
		assert.ok(!raw.includes('\u001B]0;') && !raw.includes('\u001B[2J'), `raw control characters: ${JSON.stringify(raw)}`);
		assert.doesNotMatch(frame, /plain text/, 'the detail is shown in place of the list');
		await harness.key('escape');
		const list = await harness.waitFor(text => text.includes('plain text') && !text.includes('Esc or q closes'), 'the list again');
		assert.match(list, /log of worker@high/, 'Esc closed the detail, not the view');
		await harness.press('down', 'logs');
		await harness.press('inspect', 'logs');
		const plain = await harness.waitFor(text => text.includes('Esc or q closes'), 'the plain line\'s detail');
		assert.match(plain, /text\s+plain text <U\+009B>31m from a shell script/);
		await harness.key('q');
		await harness.waitFor(text => text.includes('log of worker@high') && !text.includes('Esc or q closes'), 'q closed the detail, not the view');
	});

	it('opened from a job, the lines of that job are marked ▌; the others, and lines naming no job, are not', async () => {
		const jobLines = [
			jsonLine({queue: 'emails', jobId: '42', msg: 'job started'}),
			jsonLine({queue: 'emails', jobId: '43', msg: 'job started'}),
			line('a warning from node'),
			jsonLine({level: 'error', queue: 'emails', jobId: 43, msg: 'job failed', err: 'timeout'}),
		];
		const api = fixtureApi({jobLogs: async (_queue, _id, onLine) => {
			for (const entry of jobLines) onLine(entry);
		}});
		harness = await renderConsole(api, {view: 'logs', job: {queue: 'emails', id: '43'}});
		const frame = await harness.waitFor(text => text.includes('job failed'), 'the job\'s lines');
		const row = (text: string) => body(frame).find(candidate => candidate.includes(text)) ?? '';
		assert.match(row('emails/43 job started') || row('job started emails/43'), /^ ▌ 2026/);
		assert.match(row('job failed'), /^▸▌ 2026/);
		assert.match(row('emails/42'), /^ {3}2026/);
		assert.match(row('a warning from node'), /^ {3}2026/);
		assert.match(frame, /▌ lines of job 43/);
	});
});
