/**
 * The console's process views on fixed data: workers (pause/resume, stop
 * after "yes"), schedules (run now), services (restart after "yes", no
 * backend), logs (readable JSON lines, filter, scroll-back, hostile lines
 * made inert, follow and its abort), and read-only mode, which binds none of
 * their writes.
 */
import {afterEach, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import type {ScheduleStatus} from '../../source/data/schedules.js';
import type {ForeignWorker, RegisteredProcess} from '../../source/data/workers.js';
import type {LogLine} from '../../source/process/logs.js';
import type {ServiceStatus} from '../../source/process/services.js';
import {formatTime} from '../../source/present/format.js';
import type {ConsoleApi} from '../../source/store/console-api.js';
import {fixtureApi, renderConsole, type ConsoleHarness} from '../helpers/console.js';

const now = Date.now();
const worker = (over: Partial<RegisteredProcess> = {}): RegisteredProcess => ({
	id: 'app1-4242', kind: 'worker', host: 'app1', pid: 4242, queues: ['high', 'emails'], concurrency: 4, started: now - 3_600_000, version: '0.1.0',
	rss: 80 * 1024 * 1024, processed: 1200, failed: 3, current: ['high/42'], unit: 'saccos-queue-worker@high.service', state: 'running', heartbeat: now - 2000, source: 'saccos-queue', ...over,
});
const foreign: ForeignWorker = {name: 'bull:legacy', queue: 'emails', addr: '10.0.0.9:51234', age: 7200, idle: 3, source: 'bullmq'};
const workers = async () => ({processes: [worker(), worker({id: 'app2-77', host: 'app2', pid: 77, state: 'paused'})], foreign: [foreign]});

const schedule: ScheduleStatus = {
	id: 'nightly-dues', queue: 'high', name: 'dues', cron: '0 2 * * *', timezone: 'UTC', configured: true, inRedis: true,
	nextRun: Date.UTC(2030, 0, 1, 2, 0, 0), expectedNextRun: Date.UTC(2030, 0, 1, 2, 0, 0), lastRun: {time: Date.UTC(2026, 10, 28, 2, 0, 0), jobId: 'repeat:nightly-dues:1', state: 'failed'}, missed: [1, 2], iterations: 40,
};
const service = (name: string, over: Partial<ServiceStatus> = {}): ServiceStatus => ({
	name, unit: `saccos-queue-${name}.service`, kind: 'worker', state: 'running', pid: 4242, since: now - 60_000, restarts: 1, memory: 50_000_000, enabled: true, logFile: null, backend: 'systemd', reason: null, failedAt: null, ...over,
});
const ok = (action: string) => ({queue: null, action, count: 1, dryRun: false});
const line = (text: string, service = 'worker@high'): LogLine => ({service, time: Date.UTC(2026, 10, 28, 12, 3, 5), pid: 7, text});
const jsonLine = (fields: Record<string, unknown>) => line(JSON.stringify({level: 'info', time: '2026-11-28T12:03:05.000Z', pid: 7, ...fields}));
const footer = (frame: string) => frame.trimEnd().split('\n').at(-1) ?? '';
const callsOf = (api: {calls: Array<{method: string; args: unknown[]}>}, method: string) => api.calls.filter(call => call.method === method).map(call => call.args);

/** A logs() that sends `initial`, then, when following, waits for the abort; `streams` keeps each call's onLine and signal. */
function streamingLogs(initial: LogLine[]) {
	const streams: Array<{name: string; follow: boolean; signal: AbortSignal | undefined; onLine: (line: LogLine) => void}> = [];
	const logs: ConsoleApi['logs'] = async (name, options, onLine) => {
		streams.push({name, follow: options.follow === true, signal: options.signal, onLine});
		for (const entry of initial) onLine(entry);
		if (options.follow) await new Promise(resolve => options.signal?.addEventListener('abort', resolve, {once: true}));
	};
	return {logs, streams};
}

describe('console: workers, schedules, services and logs views', () => {
	let harness: ConsoleHarness | undefined;
	afterEach(() => {
		harness?.unmount();
		harness = undefined;
	});

	it('workers: registered processes with host, pid and state, then the foreign BullMQ workers', async () => {
		harness = await renderConsole(fixtureApi({workers}), {view: 'workers'});
		const frame = await harness.waitFor(text => text.includes('app2-77'), 'the workers table');
		assert.match(frame, /▸ app1-4242\s+worker\s+app1\s+4242\s+running\s+high,emails\s+1\/4\s+1200\s+3/);
		assert.match(frame, /app2-77\s+worker\s+app2\s+77\s+paused/);
		assert.match(frame, /Other BullMQ workers[\s\S]*emails\s+bull:legacy\s+10\.0\.0\.9:51234/);
		assert.match(frame, /2 processes on 2 hosts · 1 other BullMQ worker/);
	});

	it('workers on a 60-column terminal: whole ids (the column naming the row is cut last), the heartbeat\'s age kept, the less needed columns left out', async () => {
		harness = await renderConsole(fixtureApi({workers}), {view: 'workers'}, {columns: 60, rows: 20});
		const frame = await harness.waitFor(text => text.includes('app2-77'), 'the workers table');
		assert.ok(frame.split('\n').every(line => line.length <= 60), `a line wider than the terminal:\n${frame}`);
		assert.match(frame, /▸ app1-4242\s+app1\s+running/);
		assert.match(frame, /BEAT/, 'is it alive? the heartbeat\'s age stays');
		assert.doesNotMatch(frame, /UNIT|KIND/);
	});

	it('workers on an 80-column terminal: Enter shows the selected worker whole (every running job), Esc closes it', async () => {
		const busy = worker({current: Array.from({length: 12}, (_, index) => `notifications/${1000 + index}`), concurrency: 12});
		harness = await renderConsole(fixtureApi({workers: async () => ({processes: [busy], foreign: []})}), {view: 'workers'}, {columns: 80, rows: 24});
		await harness.waitFor(text => text.includes('app1-4242'), 'the workers table');
		assert.doesNotMatch(harness.frame(), /notifications\/1011/, 'the table cannot show every running job');
		await harness.key('enter');
		const detail = await harness.waitFor(text => text.includes('Esc closes'), 'the detail');
		assert.match(detail, /CURRENT\s+notifications\/1000 notifications\/1001/);
		assert.match(detail.replace(/\n\s+/g, ' '), /notifications\/1011/, 'the last running job, wrapped onto the next line');
		assert.match(detail, /BEAT\s+\d+s ago/);
		await harness.key('escape');
		await harness.waitFor(text => !text.includes('Esc closes') && text.includes('▸ app1-4242'), 'the table again');
	});

	it('workers, schedules: Redis down from the start says "cannot load", never "no live workers" or "no schedules configured"', async () => {
		const down = async () => {
			throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
		};
		harness = await renderConsole(fixtureApi({workers: down}), {view: 'workers'});
		const workersFrame = await harness.waitFor(text => text.includes('ECONNREFUSED'), 'the error');
		assert.match(workersFrame, /cannot load the workers/);
		assert.doesNotMatch(workersFrame, /no live workers/);
		harness.unmount();
		harness = await renderConsole(fixtureApi({schedules: down}), {view: 'schedules'});
		const schedulesFrame = await harness.waitFor(text => text.includes('ECONNREFUSED'), 'the error');
		assert.match(schedulesFrame, /cannot load the schedules/);
		assert.doesNotMatch(schedulesFrame, /no schedules configured/);
	});

	it('workers: p pauses a running worker and resumes a paused one', async () => {
		const api = fixtureApi({workers, controlWorker: async command => ok(`workers-${command}`)});
		harness = await renderConsole(api, {view: 'workers'});
		await harness.waitFor(text => text.includes('app2-77'), 'the workers table');
		await harness.press('worker-pause', 'workers');
		await harness.waitFor(text => text.includes('sent pause to 1 worker(s)'), 'the pause outcome');
		await harness.press('down', 'workers');
		await harness.waitFor(text => /▸ app2-77/.test(text), 'the selection on the paused worker');
		await harness.press('worker-pause', 'workers');
		await harness.waitFor(text => text.includes('sent resume to 1 worker(s)'), 'the resume outcome');
		assert.deepEqual(callsOf(api, 'controlWorker'), [['pause', 'app1-4242'], ['resume', 'app2-77']]);
	});

	it('workers: x stops the selected worker only once "yes" is typed', async () => {
		const api = fixtureApi({workers, controlWorker: async command => ok(`workers-${command}`)});
		harness = await renderConsole(api, {view: 'workers'});
		const frame = await harness.waitFor(text => text.includes('app2-77'), 'the workers table');
		assert.match(footer(frame), /p pause\/resume\s+x stop/);
		await harness.press('worker-stop', 'workers');
		await harness.waitFor(text => text.includes('Type "yes" to confirm'), 'the confirmation');
		await harness.type('y');
		await harness.key('enter');
		await harness.waitFor(text => text.includes('not confirmed'), 'the refusal');
		assert.deepEqual(callsOf(api, 'controlWorker'), []);
		await harness.press('worker-stop', 'workers');
		await harness.type('yes');
		await harness.key('enter');
		await harness.waitFor(text => text.includes('sent stop to 1 worker(s)'), 'the stop outcome');
		assert.deepEqual(callsOf(api, 'controlWorker'), [['stop', 'app1-4242']]);
	});

	it('schedules: next and last run; t runs the selected one now and names the job', async () => {
		const api = fixtureApi({schedules: async () => [schedule], runSchedule: async id => ({...ok('schedule-run'), schedule: id, jobId: '917'})});
		harness = await renderConsole(api, {view: 'schedules'});
		const frame = await harness.waitFor(text => text.includes('nightly-dues'), 'the schedules table');
		assert.match(frame, /nightly-dues\s+high\s+0 2 \* \* \*\s+UTC\s+2030-01-01 02:00:00 \(in /);
		assert.match(frame, /2026-11-28 02:00:00 failed\s+2\s+yes/);
		assert.match(frame, /1 schedule\(s\) · times in UTC · 2 missed run\(s\) in 24 h/, 'the one shared zone named above the table');
		await harness.press('run-schedule', 'schedules');
		await harness.waitFor(text => text.includes('ran nightly-dues now: job 917 on high'), 'the outcome');
		assert.deepEqual(callsOf(api, 'runSchedule'), [['nightly-dues']]);
	});

	it('services: S restarts the selected service once "yes" is typed; Enter opens its log', async () => {
		const {logs, streams} = streamingLogs([line('hello from high')]);
		const api = fixtureApi({services: async () => [service('worker@high'), service('scheduler', {kind: 'scheduler', state: 'failed', pid: null})], serviceAction: async action => ({...ok(`services-${action}`), services: ['worker@high: running']}), logs});
		harness = await renderConsole(api, {view: 'services'});
		const frame = await harness.waitFor(text => text.includes('scheduler'), 'the services table');
		assert.match(frame, /▸ worker@high\s+saccos-queue-worker@high\.service\s+running\s+4242\s+1m 0\d+s ago\s+1\s+47\.7 MB\s+yes\s+systemd/);
		await harness.press('restart-service', 'services');
		await harness.waitFor(text => text.includes('Restart worker@high?') && text.includes('Type "yes"'), 'the confirmation');
		await harness.type('yes');
		await harness.key('enter');
		await harness.waitFor(text => text.includes('restarted worker@high (worker@high: running)'), 'the outcome');
		assert.deepEqual(callsOf(api, 'serviceAction'), [['restart', 'worker@high']]);
		await harness.key('enter');
		await harness.waitFor(text => text.includes('hello from high'), 'the service log');
		assert.equal(streams[0]?.name, 'worker@high');
	});

	it('services: a service the supervisor gave up shows why, in its REASON cell and whole on the bottom line while selected', async () => {
		const why = 'exited with code 2 at once (a usage or configuration error): unknown log level "loud" in SACCOS_QUEUE_LOG_LEVEL (hint: use one of trace, debug, info, warn, error, fatal)';
		const failedAt = now - 180_000;
		const api = fixtureApi({services: async () => [
			service('worker@high', {backend: 'local', enabled: null}),
			service('worker@emails', {backend: 'local', enabled: null, state: 'failed', pid: null, memory: null, since: failedAt, restarts: 0, reason: why, failedAt}),
		]});
		harness = await renderConsole(api, {view: 'services'}, {columns: 120, rows: 20});
		const frame = await harness.waitFor(text => text.includes('worker@emails'), 'the services table');
		// 120 columns: UNIT, ENABLED and BACKEND left out, the reason cut.
		assert.match(frame, /worker@emails\s+failed\s+-\s+3m 0\ds ago\s+0\s+-\s+exited with code 2 at once \(a usage or configuration err…/);
		assert.doesNotMatch(frame, /worker@emails failed:/, 'not while worker@high, which has no reason, is selected');
		await harness.press('down', 'services');
		const selected = await harness.waitFor(text => text.includes('▸ worker@emails'), 'worker@emails selected');
		const bottom = selected.split('\n').filter(text => text.startsWith('worker@emails failed: '));
		assert.equal(bottom.length, 1, selected);
		// Cut at the terminal's width, the reason first.
		assert.match(bottom[0]!, /^worker@emails failed: exited with code 2 at once \(a usage or configuration error\): unknown log level "loud"/);
		harness.unmount();
		harness = await renderConsole(api, {view: 'services'}, {columns: 260, rows: 20});
		// The rows first: a key before the list is loaded has nothing to move.
		await harness.waitFor(text => text.includes('worker@emails'), 'the services table, 260 columns');
		await harness.press('down', 'services');
		const wide = await harness.waitFor(text => text.includes('▸ worker@emails'), 'worker@emails selected, 260 columns');
		const whole = wide.split('\n').find(text => text.startsWith('worker@emails failed: '))?.trimEnd();
		assert.equal(whole?.replace(/, 3m 0\ds ago\)$/, ', 3m ago)'), `worker@emails failed: ${why} (at ${formatTime(failedAt, api.timezone)}, 3m ago)`, wide);
	});

	it('services: with no process backend the reason is shown, and the view keeps asking', async () => {
		let backend = false;
		const api = fixtureApi({
			services: async () => {
				if (!backend) throw new Error('no systemd and no local supervisor (run `saccos-queue supervise`)');
				return [service('worker@high')];
			},
		});
		harness = await renderConsole(api, {view: 'services'});
		const down = await harness.waitFor(text => text.includes('no systemd and no local supervisor'), 'the reason');
		assert.match(down, /cannot load the services/);
		assert.doesNotMatch(down, /no saccos-queue services are installed/, 'an unanswered question is not an empty answer');
		backend = true;
		await harness.press('refresh', 'services');
		await harness.waitFor(text => /▸ worker@high\s+saccos/.test(text), 'the table once the backend answers');
	});

	it('logs: JSON worker lines read as level, message, job and error; / keeps the matching lines, Esc clears', async () => {
		const {logs} = streamingLogs([
			jsonLine({queue: 'emails', jobId: '42', jobName: 'send', attempt: 1, durationMs: 120, msg: 'job completed'}),
			jsonLine({level: 'error', queue: 'emails', jobId: '43', jobName: 'send', attempt: 2, durationMs: 1500, err: 'SMTP timeout', msg: 'job failed'}),
			line('plain text from a shell script'),
		]);
		harness = await renderConsole(fixtureApi({logs}), {view: 'logs', service: 'worker@high'});
		const frame = await harness.waitFor(text => text.includes('plain text'), 'the log lines');
		assert.match(frame, /log of worker@high · follow on · 3 line\(s\)/);
		assert.match(frame, /2026-11-28 12:03:05 worker@high INFO job completed emails\/42 \(send\) attempt 1 120ms/);
		assert.match(frame, /worker@high ERROR job failed emails\/43 \(send\) attempt 2 1s err: SMTP timeout/);
		assert.doesNotMatch(frame, /"msg"/);
		await harness.press('filter', 'logs');
		await harness.type('smtp');
		await harness.key('enter');
		const filtered = await harness.waitFor(text => text.includes('filter "smtp": 1'), 'the filtered lines');
		assert.match(filtered, /job failed/);
		assert.doesNotMatch(filtered, /job completed|plain text/);
		await harness.key('escape');
		await harness.waitFor(text => text.includes('job completed') && text.includes('plain text'), 'every line again');
	});

	it('logs: a hostile line shows its control characters as visible stand-ins, never raw', async () => {
		const {logs} = streamingLogs([
			line('evil \u001B[2J\u001B]0;pwned\u0007 csi \u009B31m sep \u2028 end'),
			jsonLine({level: 'error', msg: 'boom \u001B]52;c;aGk=\u0007 \u202E', err: 'x\u009Bq'}),
		]);
		harness = await renderConsole(fixtureApi({logs}), {view: 'logs'});
		const frame = await harness.waitFor(text => text.includes('evil') && text.includes('boom'), 'the hostile lines');
		assert.ok(frame.includes('␛[2J') && frame.includes('<U+009B>31m') && frame.includes('<U+2028>'), frame);
		assert.ok(frame.includes('boom ␛]52;c;aGk=␇ <U+202E>') && frame.includes('err: x<U+009B>q'), frame);
		assert.doesNotMatch(frame, /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u2028\u2029\u202E]/u);
	});

	it('logs: following, later lines appear; f stops the stream, f again restarts it; leaving aborts it', async () => {
		const {logs, streams} = streamingLogs([line('first line')]);
		harness = await renderConsole(fixtureApi({logs}), {view: 'logs', service: 'scheduler'});
		await harness.waitFor(text => text.includes('first line'), 'the first line');
		assert.deepEqual(streams.map(stream => [stream.name, stream.follow]), [['scheduler', true]]);
		streams[0]!.onLine(line('a later line', 'scheduler'));
		await harness.waitFor(text => text.includes('a later line') && text.includes('2 line(s)'), 'the followed line');
		await harness.press('follow', 'logs');
		await harness.waitFor(text => text.includes('follow off') && streams[0]!.signal?.aborted === true, 'follow off, the stream stopped');
		await harness.press('follow', 'logs');
		await harness.waitFor(text => text.includes('follow on') && streams.length === 2, 'follow on again, a second stream');
		assert.equal(streams[1]!.signal?.aborted, false);
		harness.unmount();
		harness = undefined;
		assert.equal(streams[1]!.signal?.aborted, true);
	});

	it('logs: the movement keys move the cursor back and the page stays put while lines arrive; G returns to the newest', async () => {
		const {logs, streams} = streamingLogs(Array.from({length: 30}, (_, index) => line(`line ${String(index + 1).padStart(2, '0')}`)));
		harness = await renderConsole(fixtureApi({logs}), {view: 'logs'}, {columns: 100, rows: 10});
		const bottom = await harness.waitFor(text => text.includes('line 30'), 'the newest lines');
		assert.match(bottom, /line 26[\s\S]*line 30/);
		assert.doesNotMatch(bottom, /line 25/);
		await harness.press('top', 'logs');
		await harness.waitFor(text => text.includes('line 01') && text.includes('scrolled back'), 'the oldest lines');
		streams[0]!.onLine(line('line 31'));
		// The cursor moves within the page; the page moves once the cursor goes past its last line.
		await harness.press('down', 'logs');
		const within = await harness.waitFor(text => /▸ \S+ \S+ worker@high line 02/.test(text), 'the cursor one line down');
		assert.match(within, /line 01[\s\S]*line 05/);
		for (let step = 0; step < 4; step++) await harness.press('down', 'logs');
		const held = await harness.waitFor(text => /▸ \S+ \S+ worker@high line 06/.test(text), 'one line further');
		assert.match(held, /line 02[\s\S]*line 06/);
		assert.doesNotMatch(held, /line 01|line 31/);
		await harness.press('bottom', 'logs');
		const newest = await harness.waitFor(text => text.includes('line 31'), 'the newest again');
		assert.doesNotMatch(newest, /scrolled back|line 26/);
	});

	it('logs of a job: its rejection is the message; no lines says so', async () => {
		const api = fixtureApi({jobLogs: async () => Promise.reject(new Error('job emails/9 has not run yet (state waiting)'))});
		harness = await renderConsole(api, {view: 'logs', job: {queue: 'emails', id: '9'}});
		const frame = await harness.waitFor(text => text.includes('has not run yet'), 'the reason');
		assert.match(frame, /worker lines of job emails\/9/);
		assert.doesNotMatch(frame, /follow on/);
		harness.unmount();
		harness = await renderConsole(fixtureApi({jobLogs: async () => undefined}), {view: 'logs', job: {queue: 'emails', id: '10'}});
		await harness.waitFor(text => text.includes('no worker lines for this job in its run window'), 'the empty window');
	});

	it('read-only: no write keys in the footers, and p/x/t/s/S call nothing', async () => {
		const views = [
			{route: {view: 'workers'} as const, ready: 'app1-4242', keys: ['p', 'x'], forbidden: /pause\/resume|x stop/},
			{route: {view: 'schedules'} as const, ready: 'nightly-dues', keys: ['t'], forbidden: /run now/},
			{route: {view: 'services'} as const, ready: 'worker@high', keys: ['s', 'x', 'S'], forbidden: /s start|x stop|S restart/},
		];
		for (const {route, ready, keys, forbidden} of views) {
			const api = fixtureApi({readOnly: true, workers, schedules: async () => [schedule], services: async () => [service('worker@high')]});
			harness = await renderConsole(api, route);
			const frame = await harness.waitFor(text => text.includes(ready), `the ${route.view} table`);
			assert.doesNotMatch(footer(frame), forbidden);
			assert.match(footer(frame), /q back\/quit/);
			for (const key of keys) await harness.key(key);
			await harness.waitFor(text => text.includes('read-only:'), 'the read-only note');
			assert.deepEqual(api.calls.filter(call => !['workers', 'schedules', 'services'].includes(call.method)), []);
			harness.unmount();
			harness = undefined;
		}
	});
});
