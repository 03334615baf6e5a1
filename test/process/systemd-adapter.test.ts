/**
 * The systemd backend (source/process/systemd.ts) through the real binary,
 * against fake `systemctl`/`journalctl` executables on PATH that replay
 * recordings of a real systemd (test/fixtures/systemd/, README there) and
 * record their argv. The backend is forced with `"processes": "systemd"`.
 */
import {randomUUID} from 'node:crypto';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {after, before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {describeResult, runCli, spawnCli, type CliResult} from '../helpers/cli.js';
import {fakeSystemd, type FakeSystemd, type Invocation} from '../helpers/fake-systemd/index.js';
import {deletePrefix, waitFor, within} from '../helpers/keyspace.js';
import {testRedisUrl} from '../helpers/redis-server.js';
import {journalLines} from '../../source/process/systemd.js';

const HIGH = 'saccos-queue-worker@high.service';
const DEFAULT = 'saccos-queue-worker@default.service';
const EMAILS = 'saccos-queue-worker@emails.service';
const HIGH_2 = 'saccos-queue-worker@high-2.service';
const SHOW_PROPERTIES = '--property=Id,LoadState,ActiveState,SubState,MainPID,ActiveEnterTimestampMonotonic,ActiveEnterTimestamp,StateChangeTimestamp,NRestarts,MemoryCurrent,UnitFileState';
const ALL_UNITS = [HIGH, DEFAULT, EMAILS, 'saccos-queue-worker@notifications.service', 'saccos-scheduler.service', 'saccos-queue-worker.service'];

type Box = {dir: string; fake: FakeSystemd; config: string; prefix: string; stateDir: string; run(args: string[], env?: Record<string, string>): Promise<CliResult>};

describe('systemd adapter against recorded systemctl/journalctl output', () => {
	const url = testRedisUrl();
	const boxes: Box[] = [];
	const open = (label: string): Box => {
		const dir = mkdtempSync(path.join(process.env['SACCOS_TEST_TMPDIR'] || os.tmpdir(), `saccos-sd-${label}-`));
		const fake = fakeSystemd(path.join(dir, 'fake'));
		const prefix = `sd-${label}-${randomUUID().slice(0, 8)}`;
		const stateDir = path.join(dir, 'state');
		const config = path.join(dir, 'config.json');
		writeFileSync(config, JSON.stringify({
			redis: url,
			prefix,
			processes: 'systemd',
			queues: {high: {timeout: 90, tries: 3}, default: {timeout: 90, tries: 3}, emails: {timeout: 60, tries: 3}, notifications: {timeout: 60, tries: 3}},
		}));
		const box: Box = {
			dir, fake, config, prefix, stateDir,
			run: async (args, env = {}) => runCli([...args, '--config', config], {env: {...fake.env, SACCOS_QUEUE_STATE_DIR: stateDir, ...env}, cwd: dir}),
		};
		boxes.push(box);
		return box;
	};
	after(async () => {
		for (const box of boxes) {
			await deletePrefix(url, box.prefix);
			rmSync(box.dir, {recursive: true, force: true});
		}
	});

	const calls = (box: Box, tool: Invocation['tool']) => box.fake.invocations().filter(call => call.tool === tool && call.argv);
	const json = <T>(result: CliResult): T => {
		assert.equal(result.code, 0, describeResult(result));
		return JSON.parse(result.stdout) as T;
	};
	const ndjson = (result: CliResult): Array<Record<string, unknown>> => {
		assert.equal(result.code, 0, describeResult(result));
		return result.stdout.split('\n').filter(Boolean).map(line => JSON.parse(line) as Record<string, unknown>);
	};

	it('services --json maps the recorded `systemctl show` blocks to the contract', async () => {
		const box = open('list');
		const out = json<{backend: string; dir: null; services: unknown[]}>(await box.run(['services', '--json']));
		assert.equal(out.backend, 'systemd');
		assert.equal(out.dir, null);
		// Units without a recording are not installed and not listed.
		assert.deepEqual(out.services, [
			// apache2.service recording: active/running, MainPID=679, ActiveEnterTimestamp=Wed 2022-03-09 11:53:44 UTC, MemoryCurrent=16412672, UnitFileState=enabled.
			{name: 'worker@high', unit: HIGH, kind: 'worker', state: 'running', pid: 679, since: Date.UTC(2022, 2, 9, 11, 53, 44), restarts: 0, memory: 16_412_672, enabled: true, logFile: null, backend: 'systemd', reason: null, failedAt: null},
			// mc-paper.service recording: deactivating/stop-sigterm, MainPID=967807, NRestarts=7.
			{name: 'worker@default', unit: DEFAULT, kind: 'worker', state: 'stopping', pid: 967_807, since: null, restarts: 7, memory: null, enabled: null, logFile: null, backend: 'systemd', reason: null, failedAt: null},
			// mc-paper.service recording: activating/auto-restart, MainPID=0, NRestarts=6.
			{name: 'worker@emails', unit: EMAILS, kind: 'worker', state: 'backoff', pid: null, since: null, restarts: 6, memory: null, enabled: null, logFile: null, backend: 'systemd', reason: null, failedAt: null},
			// Not configured, found by the template's glob (a second worker on high): the apache2 recording again, as @high-2.
			{name: 'worker@high-2', unit: HIGH_2, kind: 'worker', state: 'running', pid: 679, since: Date.UTC(2022, 2, 9, 11, 53, 44), restarts: 0, memory: 16_412_672, enabled: true, logFile: null, backend: 'systemd', reason: null, failedAt: null},
		]);
		const [show, ...more] = calls(box, 'systemctl');
		assert.equal(more.length, 0, `one systemctl call for the whole list: ${JSON.stringify(box.fake.invocations())}`);
		assert.deepEqual(show!.argv, ['show', '--no-pager', SHOW_PROPERTIES, ...ALL_UNITS, 'saccos-queue-worker@*.service']);
		assert.equal(calls(box, 'journalctl').length, 0);
	});

	it('services (table) shows the same states without a terminal', async () => {
		const box = open('table');
		const result = await box.run(['services']);
		assert.equal(result.code, 0, describeResult(result));
		const rows = result.stdout.split('\n').filter(line => line.startsWith('worker@'));
		assert.deepEqual(rows.map(row => row.split(/\s+/).slice(0, 4)), [
			['worker@high', HIGH, 'running', '679'],
			['worker@default', DEFAULT, 'stopping', '967807'],
			['worker@emails', EMAILS, 'backoff', '-'],
			['worker@high-2', HIGH_2, 'running', '679'],
		]);
		assert.doesNotMatch(result.stdout, /\u001B/, 'no escape sequences when stdout is not a terminal');
	});

	it('since is right whatever the host time zone (systemctl prints local time, e.g. EAT in Dar es Salaam)', async () => {
		const box = open('tz');
		const out = json<{services: Array<{name: string; since: number | null}>}>(await box.run(['services', '--json'], {TZ: 'Africa/Dar_es_Salaam'}));
		// The fake renders the recorded "Wed 2022-03-09 11:53:44 UTC" as systemctl would under this TZ: "Wed 2022-03-09 14:53:44 EAT".
		assert.equal(out.services.find(service => service.name === 'worker@high')?.since, Date.UTC(2022, 2, 9, 11, 53, 44),
			'since of worker@high under TZ=Africa/Dar_es_Salaam (systemctl printed "Wed 2022-03-09 14:53:44 EAT")');
	});

	it('services restart worker@high runs `systemctl restart --no-block saccos-queue-worker@high.service`', async () => {
		const box = open('restart');
		const result = await box.run(['services', 'restart', 'worker@high', '--json']);
		assert.equal(result.code, 0, describeResult(result));
		const argvs = calls(box, 'systemctl').map(call => call.argv);
		assert.deepEqual(argvs[0], ['restart', '--no-block', HIGH]);
		assert.deepEqual(argvs.slice(1), [['show', '--no-pager', SHOW_PROPERTIES, HIGH]], 'then the status of that unit only');
		assert.ok(argvs.every(argv => !argv!.includes(DEFAULT)), 'no other unit is touched');
	});

	it('services stop all stops exactly the installed units, a discovered @high-2 included; start accepts the unit name too', async () => {
		const box = open('stop-all');
		let result = await box.run(['services', 'stop', 'all']);
		assert.equal(result.code, 0, describeResult(result));
		assert.ok(calls(box, 'systemctl').some(call => JSON.stringify(call.argv) === JSON.stringify(['stop', '--no-block', HIGH, DEFAULT, EMAILS, HIGH_2])),
			`systemctl calls: ${JSON.stringify(calls(box, 'systemctl').map(call => call.argv))}`);
		result = await box.run(['services', 'start', 'saccos-queue-worker@emails.service']);
		assert.equal(result.code, 0, describeResult(result));
		assert.ok(calls(box, 'systemctl').some(call => JSON.stringify(call.argv) === JSON.stringify(['start', '--no-block', EMAILS])));
	});

	it('services restart worker@high-2 (a second worker on "high", as the template allows) reaches systemctl', async () => {
		const box = open('high-2');
		const result = await box.run(['services', 'restart', 'worker@high-2']);
		assert.equal(result.code, 0, `worker@high-2 should be manageable like saccos-queue-worker@high-2.service: ${describeResult(result)}`);
		assert.ok(calls(box, 'systemctl').some(call => JSON.stringify(call.argv) === JSON.stringify(['restart', '--no-block', HIGH_2])));
	});

	it('a start polkit refuses (not root) is exit 6 with the reason and a hint, not an internal error', async () => {
		const box = open('denied');
		const result = await box.run(['services', 'start', 'worker@high'], {FAKE_SYSTEMD_DENY: '1'});
		assert.equal(result.code, 6, describeResult(result));
		assert.match(result.stderr, /Failed to start saccos-queue-worker@high\.service: Interactive authentication required/);
		assert.match(result.stderr, /sudo/);
		assert.doesNotMatch(result.stderr, /internal error|\n\s+at /);
	});

	it('a worker instance on a queue that is not configured (a typo) is refused before systemctl is asked', async () => {
		const box = open('typo');
		const result = await box.run(['services', 'start', 'worker@hihg']);
		assert.equal(result.code, 2, describeResult(result));
		assert.match(result.stderr, /unknown service "worker@hihg"/);
		assert.deepEqual(calls(box, 'systemctl').filter(call => call.argv![0] === 'start'), []);
		const second = await box.run(['services', 'start', 'worker@emails-3']);
		assert.equal(second.code, 0, describeResult(second));
		assert.ok(calls(box, 'systemctl').some(call => JSON.stringify(call.argv) === JSON.stringify(['start', '--no-block', 'saccos-queue-worker@emails-3.service'])));
	});

	it('logs worker@high -n 5 --json parses the journal recording, a byte-array MESSAGE included', async () => {
		const box = open('logs');
		const lines = ndjson(await box.run(['logs', 'worker@high', '-n', '5', '--json']));
		assert.deepEqual(lines, [
			// lnav#1087: MESSAGE as an array of bytes (it holds ESC sequences), decoded as UTF-8. Not JSON: fields is null.
			{service: 'worker@high', time: 1_669_751_055_404, pid: 777_153, text: 'Nov-29 00:48:17.779 [bot-sdkAppservice] \u001B[32minfo\u001B[39m: [', fields: null},
			// dd-micro-agent's Fedora line: a string MESSAGE, _PID 1.
			{service: 'worker@high', time: 1_782_840_698_615, pid: 1, text: `${HIGH}: Deactivated successfully.`, fields: null},
		]);
		const [journal] = calls(box, 'journalctl');
		assert.deepEqual(journal!.argv, ['-u', HIGH, '-o', 'json', '--no-pager', '-n', '5']);
		assert.equal(journal!.env?.['SYSTEMD_PAGER'], '', 'no pager');
	});

	it('logs --since passes --since @<epoch> to journalctl and shows only the lines after it', async () => {
		const box = open('since');
		const lines = ndjson(await box.run(['logs', 'worker@high', '--since', '2023-01-01T00:00:00Z', '--json']));
		assert.deepEqual(lines.map(line => line['time']), [1_782_840_698_615]);
		const argv = calls(box, 'journalctl')[0]!.argv!;
		assert.equal(argv[argv.indexOf('--since') + 1], `@${Date.UTC(2023, 0, 1) / 1000}`);
		assert.ok(argv.includes('-o') && argv[argv.indexOf('-o') + 1] === 'json');
	});

	it('a MESSAGE with several values (an array of strings) keeps its text', async () => {
		const box = open('multi');
		const lines = ndjson(await box.run(['logs', 'worker@emails', '--json']));
		const text = String(lines[0]?.['text']);
		assert.doesNotMatch(text, /\u0000/, `NUL bytes instead of the message: ${JSON.stringify(text)}`);
		assert.match(text, /PowerDNS Security Update Mandatory/);
		assert.match(text, /Upgrade now, see https:\/\/doc\.powerdns\.com/);
		assert.equal(lines[1]?.['text'], 'this is a binary value \u0007', 'a byte array with a BEL is decoded as is in --json (escaped by JSON)');
	});

	it('control and escape characters in a journal MESSAGE never reach the terminal raw (human output)', async () => {
		const box = open('escape');
		for (const unit of ['worker@high', 'worker@emails']) {
			const result = await box.run(['logs', unit]);
			assert.equal(result.code, 0, describeResult(result));
			const raw = [...result.stdoutBytes].filter(byte => (byte < 0x20 && byte !== 0x0A) || byte === 0x7F);
			assert.deepEqual(raw, [], `${unit}: raw control bytes on stdout: ${JSON.stringify(result.stdout)}`);
			assert.doesNotMatch(result.stdout, /[\u0080-\u009F]/u, 'no C1 controls either');
		}
		const high = await box.run(['logs', 'worker@high']);
		assert.match(high.stdout, /Nov-29 00:48:17\.779 \[bot-sdkAppservice\] .*info.*: \[/, 'the text around the escapes is kept');
		assert.match(high.stdout, /Deactivated successfully\./);
	});

	it('logs worker@high -f --json follows: journalctl -f, new lines printed, journalctl stopped on Ctrl-C', async () => {
		const box = open('follow');
		const child = spawnCli(['logs', 'worker@high', '-f', '--json', '--config', box.config], {env: {...box.fake.env, SACCOS_QUEUE_STATE_DIR: box.stateDir}, cwd: box.dir});
		let stdout = '';
		child.stdout.on('data', (chunk: Buffer) => {
			stdout += chunk.toString('utf8');
		});
		const exited = new Promise<[number | null, NodeJS.Signals | null]>(resolve => child.once('close', (code, signal) => resolve([code, signal])));
		try {
			await waitFor(() => stdout.split('\n').filter(Boolean).length >= 2, 'the recorded lines');
			const journal = await waitFor(() => calls(box, 'journalctl')[0], 'journalctl to be started');
			assert.ok(journal.argv!.includes('-f'), `journalctl argv: ${JSON.stringify(journal.argv)}`);
			assert.ok(journal.argv!.includes('-o') && journal.argv![journal.argv!.indexOf('-o') + 1] === 'json');
			// A line the journal gets while following (the recorded BEL byte-array entry).
			box.fake.appendFollow(HIGH, '{"MESSAGE":[116,104,105,115,32,105,115,32,97,32,98,105,110,97,114,121,32,118,97,108,117,101,32,7]}');
			await waitFor(() => stdout.includes('this is a binary value'), 'the followed line', 10_000);
			const third = JSON.parse(stdout.split('\n').filter(Boolean)[2]!) as Record<string, unknown>;
			assert.deepEqual(third, {service: 'worker@high', time: null, pid: null, text: 'this is a binary value \u0007', fields: null});
			child.kill('SIGINT');
			const [code] = await within(exited, 10_000, 'logs -f to exit on SIGINT');
			assert.equal(code, 0);
			await waitFor(() => box.fake.invocations().some(call => call.tool === 'journalctl' && call.pid === journal.pid && call.event === 'signal'), 'journalctl to be told to stop');
			await waitFor(() => !alive(journal.pid), `journalctl (pid ${journal.pid}) to exit`);
		} finally {
			child.kill('SIGKILL');
			for (const call of box.fake.invocations()) if (call.tool === 'journalctl' && alive(call.pid)) process.kill(call.pid, 'SIGKILL');
		}
	});

	it('logs (all) -n 2 gives the last 2 lines over all units, oldest first, as the local backend does', async () => {
		const box = open('all');
		const lines = ndjson(await box.run(['logs', '-n', '2', '--json']));
		assert.ok(lines.length <= 2, `-n 2 printed ${lines.length} lines: ${JSON.stringify(lines)}`);
		const times = lines.map(line => line['time'] as number);
		assert.deepEqual(times, [...times].sort((a, b) => a - b), 'oldest first');
	});

	it('doctor reports the installed units (running ok, backoff with its restarts)', async () => {
		const box = open('doctor');
		const result = await box.run(['doctor', '--json']);
		const out = JSON.parse(result.stdout) as {checks: Array<{name: string; status: string; message: string; hint?: string}>};
		const unit = (name: string) => out.checks.find(check => check.name === `unit ${name}`);
		assert.equal(unit(HIGH)?.status, 'ok', JSON.stringify(out.checks));
		assert.equal(unit(EMAILS)?.status, 'warn');
		assert.match(unit(EMAILS)!.message, /backoff.*6 restarts/);
		assert.match(unit(EMAILS)!.hint ?? '', /journalctl -u saccos-queue-worker@emails\.service/);
		assert.equal(unit('saccos-scheduler.service'), undefined, 'a unit that is not installed is not a check');
	});
});

function alive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
}


describe('systemd adapter: journalctl and the caller leaving', () => {
	// journalLines spawns with this process's environment: the fake goes first on PATH for
	// this suite only (the suites of a file run one after the other).
	const dir = mkdtempSync(path.join(process.env['SACCOS_TEST_TMPDIR'] || os.tmpdir(), 'saccos-sd-abort-'));
	const fake = fakeSystemd(path.join(dir, 'fake'));
	const saved = {...process.env};
	before(() => Object.assign(process.env, fake.env));
	after(() => {
		for (const name of Object.keys(fake.env)) {
			if (saved[name] === undefined) delete process.env[name];
			else process.env[name] = saved[name];
		}
		rmSync(dir, {recursive: true, force: true});
	});
	const high = {name: 'worker@high', unit: HIGH, kind: 'worker' as const, args: []};
	const journals = () => fake.invocations().filter(call => call.tool === 'journalctl' && call.argv);

	it('a follow aborted while it was being set up (the console left the logs view) starts no journalctl', {timeout: 10_000}, async () => {
		await journalLines(high, {follow: true, signal: AbortSignal.abort()}, () => assert.fail('no line expected'));
		assert.deepEqual(journals(), []);
	});

	it('a follow aborted while journalctl runs stops it and resolves', async () => {
		const stop = new AbortController();
		const lines: string[] = [];
		const following = journalLines(high, {follow: true, lines: 5, signal: stop.signal}, line => lines.push(line.text));
		await waitFor(() => lines.length >= 2, 'the recorded lines');
		stop.abort();
		await following;
		const [journal] = journals();
		assert.ok(journal?.argv?.includes('-f'), JSON.stringify(journals()));
		await waitFor(() => fake.invocations().some(call => call.tool === 'journalctl' && call.pid === journal!.pid && call.event === 'signal'), 'journalctl to be told to stop');
	});
});
