/**
 * The local supervisor for real: `services start all` launches `saccos-queue
 * supervise` in the background with the seed's four queues and the
 * scheduler, on the private test Redis; a worker killed with SIGKILL comes
 * back with a new pid; `logs` reads, follows and finds a job's lines;
 * `services stop` stops one service, `services stop all` leaves nothing.
 * Processes are checked in /proc, not trusted from the supervisor's answer.
 */
import {processes, type Proc} from '../helpers/procs.js';
import {randomUUID} from 'node:crypto';
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {after, before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {describeResult, runCli, spawnCli, type CliResult} from '../helpers/cli.js';
import {deletePrefix, waitFor, within} from '../helpers/keyspace.js';
import {testRedisUrl} from '../helpers/redis-server.js';

type Status = {name: string; unit: string; kind: string; state: string; pid: number | null; since: number | null; restarts: number; memory: number | null; enabled: boolean | null; logFile: string | null; backend: string; reason: string | null; failedAt: number | null};

const SERVICES = ['worker@high', 'worker@default', 'worker@emails', 'worker@notifications', 'scheduler'];


/** A live process (not a zombie) with that pid. */
function alive(pid: number | null | undefined): boolean {
	if (!pid) return false;
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
	} catch {
		return false;
	}
}

describe('local supervisor, for real', () => {
	const url = testRedisUrl();
	const dir = mkdtempSync(path.join(process.env['SACCOS_TEST_TMPDIR'] || os.tmpdir(), 'saccos-sup-'));
	const stateDir = path.join(dir, 'state');
	const prefix = `sup-${randomUUID().slice(0, 8)}`;
	const config = path.join(dir, 'saccos-queue.config.json');
	const processor = path.join(dir, 'tiny.js');
	const seen = new Set<number>();
	let supervisorPid: number | undefined;
	const env = {SACCOS_QUEUE_STATE_DIR: stateDir};
	const cli = async (args: string[], timeoutMs = 60_000): Promise<CliResult> => runCli([...args, '--config', config], {env, cwd: dir, timeoutMs});
	const list = async (): Promise<Status[]> => {
		const result = await cli(['services', '--json']);
		assert.equal(result.code, 0, describeResult(result));
		const out = JSON.parse(result.stdout) as {backend: string; dir: string; services: Status[]};
		assert.equal(out.backend, 'local');
		assert.equal(out.dir, stateDir);
		for (const status of out.services) if (status.pid) seen.add(status.pid);
		return out.services;
	};
	/** Processes that belong to this test's supervisor: its state dir in their environment or our config in their argv. */
	const ours = (): Proc[] => processes().filter(proc => proc.pid !== process.pid
		&& (proc.environ.includes(`SACCOS_QUEUE_STATE_DIR=${stateDir}`) || proc.cmdline.includes(config)));

	/** Waits until a worker has logged "worker started" (connected, taking jobs). */
	const startedLine = async (status: Status) => waitFor(() => existsSync(status.logFile!) && readFileSync(status.logFile!, 'utf8').split('\n')
		.some(line => line.includes('"msg":"worker started"') && line.includes(`"pid":${status.pid},`)), `${status.name} (pid ${status.pid}) to log "worker started"`, 30_000);

	before(() => {
		// The seed's queues (examples/saccos-queue.config.json), a processor of our own with an absolute path.
		writeFileSync(processor, 'export default async function tiny(job) {\n\treturn {tiny: job.id};\n}\n');
		writeFileSync(config, JSON.stringify({
			redis: url,
			prefix,
			processes: 'local',
			queues: {
				high: {timeout: 90, tries: 3},
				default: {timeout: 90, tries: 3, isolation: 'process'},
				emails: {timeout: 60, tries: 3, backoff: {type: 'exponential', delay: 5000}},
				notifications: {timeout: 60, tries: 3, limiter: {max: 10, duration: 1000}},
			},
			processors: {tiny: processor},
			monitor: {default: 100, high: 50, emails: 100, notifications: 100},
		}, null, 2));
	});

	after(async () => {
		// Whatever a failed test left running: the supervisor's group, then any pid we saw.
		const recorded = existsSync(path.join(stateDir, 'supervisor.json')) ? (JSON.parse(readFileSync(path.join(stateDir, 'supervisor.json'), 'utf8')) as {pid: number}).pid : undefined;
		for (const pid of [supervisorPid, recorded]) {
			if (alive(pid)) {
				try {
					process.kill(-pid!, 'SIGKILL');
				} catch {
					process.kill(pid!, 'SIGKILL');
				}
			}
		}
		for (const proc of ours()) process.kill(proc.pid, 'SIGKILL');
		for (const pid of seen) if (alive(pid) && ours().some(proc => proc.pid === pid)) process.kill(pid, 'SIGKILL');
		await deletePrefix(url, prefix);
		rmSync(dir, {recursive: true, force: true});
	});

	it('services start all: four workers and the scheduler, each running with a live pid', async () => {
		const started = await cli(['services', 'start', 'all']);
		assert.equal(started.code, 0, describeResult(started));
		const supervisor = JSON.parse(readFileSync(path.join(stateDir, 'supervisor.json'), 'utf8')) as {pid: number; socket: string};
		supervisorPid = supervisor.pid;
		assert.ok(alive(supervisor.pid), 'the supervisor runs');
		assert.ok(existsSync(supervisor.socket), 'its control socket exists');
		const services = await list();
		assert.deepEqual(services.map(service => service.name), SERVICES);
		const table = processes();
		for (const service of services) {
			assert.equal(service.state, 'running', JSON.stringify(service));
			assert.ok(service.pid && existsSync(`/proc/${service.pid}`), `${service.name}: /proc/${service.pid} exists`);
			const proc = table.find(entry => entry.pid === service.pid)!;
			assert.equal(proc.ppid, supervisor.pid, `${service.name} is a child of the supervisor`);
			const expected = service.name === 'scheduler' ? ['scheduler'] : ['worker', '--instance', service.name.slice('worker@'.length)];
			const at = proc.cmdline.findIndex(arg => arg.endsWith('saccos-queue.js'));
			assert.deepEqual(proc.cmdline.slice(at + 1, at + 1 + expected.length), expected, proc.cmdline.join(' '));
			assert.ok(proc.cmdline.includes(config), 'children get the same --config');
			assert.equal(service.restarts, 0);
			assert.ok(service.logFile?.startsWith(path.join(stateDir, 'logs')), String(service.logFile));
			assert.ok((service.memory ?? 0) > 0, `${service.name}: memory`);
		}
		assert.equal(new Set(services.map(service => service.pid)).size, 5, 'five distinct processes');
	});

	it('a worker killed with SIGKILL is running again within seconds, with a new pid and one more restart', async () => {
		const before = (await list()).find(service => service.name === 'worker@high')!;
		await startedLine(before);
		const killedAt = Date.now();
		process.kill(before.pid!, 'SIGKILL');
		const after = await waitFor(async () => {
			const now = (await list()).find(service => service.name === 'worker@high')!;
			return now.state === 'running' && now.pid !== before.pid && alive(now.pid) ? now : undefined;
		}, 'worker@high to be restarted', 30_000);
		// When the supervisor started it again, by its own clock: not how long our `services` calls took on a busy host.
		assert.ok(after.since! - killedAt < 8000, `restarted ${after.since! - killedAt} ms after the kill`);
		assert.equal(after.restarts, before.restarts + 1);
		await startedLine(after);
		assert.ok(!alive(before.pid), 'the killed process is gone (reaped)');
		assert.equal(processes().find(proc => proc.pid === after.pid)?.ppid, supervisorPid, 'restarted by the supervisor');
		const others = (await list()).filter(service => service.name !== 'worker@high');
		assert.ok(others.every(service => service.restarts === 0 && service.state === 'running'), 'the others were not touched');
	});

	it('logs worker@high -n 20 returns its lines (both runs, and why the first one ended)', async () => {
		const result = await cli(['logs', 'worker@high', '-n', '20']);
		assert.equal(result.code, 0, describeResult(result));
		const lines = result.stdout.split('\n').filter(Boolean);
		assert.ok(lines.length >= 3 && lines.length <= 20, `${lines.length} lines:\n${result.stdout}`);
		assert.ok(lines.every(line => / worker@high /.test(line)), result.stdout);
		assert.equal(lines.filter(line => line.includes('"msg":"worker started"')).length, 2, result.stdout);
		assert.ok(lines.some(line => line.includes('exited with signal SIGKILL')), result.stdout);
	});

	let jobId = '';
	it('logs worker@high -f --json prints the line of a job dispatched afterwards', async () => {
		const follower = spawnCli(['logs', 'worker@high', '-f', '--json', '--config', config], {env, cwd: dir});
		let stdout = '';
		let stderr = '';
		follower.stdout.on('data', (chunk: Buffer) => {
			stdout += chunk.toString('utf8');
		});
		follower.stderr.on('data', (chunk: Buffer) => {
			stderr += chunk.toString('utf8');
		});
		const exited = new Promise<number | null>(resolve => follower.once('close', code => resolve(code)));
		const parsed = () => stdout.split('\n').filter(Boolean).map(line => JSON.parse(line) as {service: string; time: number; pid: number | null; text: string});
		try {
			// Its backlog first (so following has begun), then the job.
			await waitFor(() => parsed().some(line => line.text.includes('"msg":"worker started"')), 'the backlog of logs -f');
			const backlog = parsed().length;
			const dispatched = await cli(['dispatch', 'high', 'tiny', '--data', '{"n":1}', '--json']);
			assert.equal(dispatched.code, 0, describeResult(dispatched));
			jobId = String((JSON.parse(dispatched.stdout) as {jobId: string}).jobId);
			const line = await waitFor(() => parsed().slice(backlog).find(entry => {
				const fields = JSON.parse(entry.text) as Record<string, unknown>;
				return fields['msg'] === 'job completed' && String(fields['jobId']) === jobId;
			}), `the "job completed" line of high/${jobId} in logs -f`, 30_000);
			assert.equal(line.service, 'worker@high');
			assert.ok(typeof line.time === 'number' && typeof line.pid === 'number' && alive(line.pid), JSON.stringify(line));
			follower.kill('SIGINT');
			assert.equal(await within(exited, 10_000, 'logs -f to stop on SIGINT'), 0, stderr);
		} finally {
			follower.kill('SIGKILL');
		}
	});

	it('logs --job high/<id> returns that job\'s "job completed" line', async () => {
		assert.ok(jobId, 'a job ran in the previous test');
		const result = await cli(['logs', '--job', `high/${jobId}`, '--json']);
		assert.equal(result.code, 0, describeResult(result));
		const lines = result.stdout.split('\n').filter(Boolean).map(line => JSON.parse(line) as {service: string; text: string});
		const completed = lines.filter(line => (JSON.parse(line.text) as Record<string, unknown>)['msg'] === 'job completed');
		assert.equal(completed.length, 1, result.stdout);
		assert.equal(completed[0]!.service, 'worker@high');
		assert.equal(String((JSON.parse(completed[0]!.text) as Record<string, unknown>)['jobId']), jobId);
		assert.ok(lines.every(line => line.service === 'worker@high'), 'only the worker that ran it');
	});

	it('services stop worker@high stops only that one', async () => {
		const before = await list();
		const high = before.find(service => service.name === 'worker@high')!;
		const result = await cli(['services', 'stop', 'worker@high']);
		assert.equal(result.code, 0, describeResult(result));
		await waitFor(() => !alive(high.pid), `worker@high (pid ${high.pid}) to exit`);
		const after = await list();
		assert.deepEqual(after.find(service => service.name === 'worker@high'), {...high, state: 'stopped', pid: null, memory: null, since: after.find(service => service.name === 'worker@high')!.since});
		for (const service of after.filter(entry => entry.name !== 'worker@high')) {
			const earlier = before.find(entry => entry.name === service.name)!;
			assert.equal(service.state, 'running', service.name);
			assert.equal(service.pid, earlier.pid, `${service.name} kept its process`);
			assert.ok(alive(service.pid));
		}
		// Not restarted behind our back.
		const again = await list();
		assert.equal(again.find(service => service.name === 'worker@high')!.state, 'stopped');
	});

	it('services stop all leaves no child process, no supervisor and no socket', async () => {
		const before = await list();
		const pids = [...before.map(service => service.pid).filter((pid): pid is number => pid !== null), supervisorPid!];
		const result = await cli(['services', 'stop', 'all']);
		assert.equal(result.code, 0, describeResult(result));
		await waitFor(() => pids.every(pid => !alive(pid)), `pids ${pids.join(', ')} to exit`, 30_000);
		await waitFor(() => ours().length === 0, 'no process with this state dir or config', 30_000).catch(() => {
			assert.fail(`left behind:\n${ours().map(proc => `${proc.pid} ${proc.cmdline.join(' ')}`).join('\n')}`);
		});
		for (const pid of seen) assert.ok(!alive(pid) || !ours().some(proc => proc.pid === pid), `pid ${pid} from the list is alive`);
		await waitFor(() => !existsSync(path.join(stateDir, 'supervisor.sock')), 'the socket to be removed');
		assert.ok(!existsSync(path.join(stateDir, 'supervisor.json')), 'supervisor.json removed');
		const status = await list();
		assert.ok(status.every(service => service.state === 'stopped' && service.pid === null), JSON.stringify(status));
	});

	it('two supervise started at the same instant over a crashed supervisor\'s socket: one runs, the other refuses (exit 6)', async () => {
		let result = await cli(['services', 'start', 'all']);
		assert.equal(result.code, 0, describeResult(result));
		const crashed = (JSON.parse(readFileSync(path.join(stateDir, 'supervisor.json'), 'utf8')) as {pid: number}).pid;
		const first = await waitFor(async () => {
			const services = await list();
			return services.every(service => service.state === 'running') ? services : undefined;
		}, 'every service running', 60_000);
		process.kill(crashed, 'SIGKILL');
		await waitFor(() => first.every(service => !alive(service.pid)), 'its children to stop by themselves', 30_000);
		assert.ok(existsSync(path.join(stateDir, 'supervisor.sock')), 'the crashed supervisor\'s socket is left');
		const both = [0, 1].map(() => spawnCli(['supervise', '--config', config], {env, cwd: dir}));
		try {
			const outcomes = await Promise.race([
				Promise.any(both.map(async child => new Promise<[number | null, string]>(resolve => {
					let stderr = '';
					child.stderr!.on('data', chunk => {
						stderr += String(chunk);
					});
					child.once('close', code => resolve([code, stderr]));
				}))),
				new Promise<undefined>(resolve => setTimeout(() => resolve(undefined), 45_000)),
			]);
			assert.ok(outcomes, 'neither refused: two supervisors run in one folder');
			const [code, stderr] = outcomes;
			assert.equal(code, 6, stderr);
			assert.match(stderr, /already running/);
			const running = await waitFor(async () => {
				const services = await list();
				return services.every(service => service.state === 'running') ? services : undefined;
			}, 'the winner\'s services', 60_000);
			assert.equal(running.length, SERVICES.length);
			assert.equal(ours().filter(proc => proc.cmdline.includes('worker')).length, 4, 'one set of workers');
		} finally {
			result = await cli(['services', 'stop', 'all'], 60_000);
			assert.equal(result.code, 0, describeResult(result));
			for (const child of both) if (child.exitCode === null) child.kill('SIGKILL');
			await waitFor(() => ours().length === 0, 'nothing left', 30_000);
		}
	});

	it('a supervisor slow to start (12 s, as on a loaded host) is waited for: services start says so once it answers', async () => {
		const other = path.join(dir, 'state-slow');
		// `supervise` (and only it) blocks 12 s before it starts: node that slow to come up on a busy host.
		const slow = 'if(process.argv.includes("supervise"))Atomics.wait(new Int32Array(new SharedArrayBuffer(4)),0,0,12000)';
		const slowEnv = {SACCOS_QUEUE_STATE_DIR: other, NODE_OPTIONS: `--import=data:text/javascript,${encodeURIComponent(slow)}`};
		const mine = () => processes().filter(proc => proc.pid !== process.pid && proc.environ.includes(`SACCOS_QUEUE_STATE_DIR=${other}`));
		try {
			const result = await runCli(['services', 'start', 'worker@high', '--json', '--config', config], {env: slowEnv, cwd: dir, timeoutMs: 60_000});
			assert.equal(result.code, 0, describeResult(result));
			assert.ok(result.ms >= 12_000, `${result.ms} ms`);
			assert.deepEqual((JSON.parse(result.stdout) as {services: Status[]}).services.map(service => [service.name, service.state]), [['worker@high', 'running']]);
		} finally {
			const result = await runCli(['services', 'stop', 'all', '--config', config], {env: {SACCOS_QUEUE_STATE_DIR: other}, cwd: dir, timeoutMs: 60_000});
			assert.equal(result.code, 0, describeResult(result));
			await waitFor(() => mine().length === 0, 'nothing left', 30_000);
		}
	});

	it('services start worker@high with no supervisor running starts that one only, and says so', async () => {
		let result = await cli(['services', 'start', 'worker@high', '--json']);
		try {
			assert.equal(result.code, 0, describeResult(result));
			const answered = JSON.parse(result.stdout) as {services: Status[]};
			assert.deepEqual(answered.services.map(service => service.name), ['worker@high'], 'the answer is about the service asked for');
			const services = await list();
			assert.deepEqual(services.filter(service => service.state !== 'stopped').map(service => service.name), ['worker@high']);
			assert.equal(ours().filter(proc => proc.cmdline.includes('worker') || proc.cmdline.includes('scheduler')).length, 1, `one child:\n${ours().map(proc => proc.cmdline.join(' ')).join('\n')}`);
		} finally {
			result = await cli(['services', 'stop', 'all']);
			assert.equal(result.code, 0, describeResult(result));
			await waitFor(() => ours().length === 0, 'nothing left', 30_000);
		}
	});

	it('services stop all while a client is connected and never asks: the supervisor ends all the same, and a start right after runs a new one', async () => {
		const other = path.join(dir, 'state-idle');
		const idleEnv = {SACCOS_QUEUE_STATE_DIR: other};
		const run = async (args: string[]) => runCli([...args, '--config', config], {env: idleEnv, cwd: dir, timeoutMs: 60_000});
		const mine = () => processes().filter(proc => proc.pid !== process.pid && proc.environ.includes(`SACCOS_QUEUE_STATE_DIR=${other}`));
		let result = await run(['services', 'start', 'worker@high']);
		assert.equal(result.code, 0, describeResult(result));
		const first = (JSON.parse(readFileSync(path.join(other, 'supervisor.json'), 'utf8')) as {pid: number}).pid;
		// A console that hung, say: connected, silent.
		const idle = net.connect(path.join(other, 'supervisor.sock'));
		const idleClosed = new Promise<void>(resolve => idle.once('close', () => resolve()));
		idle.on('error', () => {});
		await new Promise<void>(resolve => idle.once('connect', () => resolve()));
		try {
			result = await run(['services', 'stop', 'all']);
			assert.equal(result.code, 0, describeResult(result));
			// At once: the socket and the lock are given up before the answer.
			result = await run(['services', 'start', 'worker@high', '--json']);
			assert.equal(result.code, 0, describeResult(result));
			assert.deepEqual((JSON.parse(result.stdout) as {services: Status[]}).services.map(service => [service.name, service.state]), [['worker@high', 'running']]);
			const second = (JSON.parse(readFileSync(path.join(other, 'supervisor.json'), 'utf8')) as {pid: number}).pid;
			assert.notEqual(second, first, 'a new supervisor');
			await within(idleClosed, 30_000, 'the silent client to be let go');
			await waitFor(() => !alive(first), `the first supervisor (pid ${first}) to end`, 30_000);
		} finally {
			idle.destroy();
			result = await run(['services', 'stop', 'all']);
			assert.equal(result.code, 0, describeResult(result));
			await waitFor(() => mine().length === 0, 'nothing left', 30_000);
		}
	});

	it('services that exit 2 at once (a configuration error) are not restarted in a loop: failed, and their logs say why', async () => {
		const other = path.join(dir, 'state-bad');
		const badEnv = {SACCOS_QUEUE_STATE_DIR: other, SACCOS_QUEUE_LOG_LEVEL: 'loud'};
		const run = async (args: string[]) => runCli([...args, '--config', config], {env: badEnv, cwd: dir, timeoutMs: 60_000});
		try {
			const started = Date.now();
			let result = await run(['services', 'start', 'all']);
			assert.equal(result.code, 0, describeResult(result));
			let seen: Status[] = [];
			const failed = await waitFor(async () => {
				const listed = await run(['services', '--json']);
				assert.equal(listed.code, 0, describeResult(listed));
				seen = (JSON.parse(listed.stdout) as {services: Status[]}).services;
				return seen.every(service => service.state === 'failed') ? seen : undefined;
			}, () => `every service failed, not restarting; last seen: ${seen.map(service => `${service.name} ${service.state} (restarts ${service.restarts})`).join(', ')}`, 60_000);
			assert.deepEqual(failed.map(service => service.restarts), SERVICES.map(() => 0), 'restarted in a loop');
			const log = readFileSync(failed[0]!.logFile!, 'utf8');
			assert.match(log, /not restarted after a usage or configuration error/);
			assert.match(log, /SACCOS_QUEUE_LOG_LEVEL/, 'the child\'s own reason is in the log, before the supervisor\'s line');
			assert.ok(log.indexOf('SACCOS_QUEUE_LOG_LEVEL') < log.indexOf('exited with code 2'), log);
			// `services --json` says why, with what the child said last (its error line and hint), and when it was given up.
			const why = 'exited with code 2 at once (a usage or configuration error): unknown log level "loud" in SACCOS_QUEUE_LOG_LEVEL (hint: use one of trace, debug, info, warn, error, fatal)';
			for (const service of failed) {
				assert.equal(service.reason, why, service.name);
				assert.ok(service.failedAt !== null && service.failedAt >= started && service.failedAt <= Date.now(), `${service.name}: failedAt ${service.failedAt}`);
				assert.equal(service.since, service.failedAt, `${service.name}: failed since it was given up`);
			}
			// The table has it in its REASON column, and whole on a line of its own under it.
			result = await run(['services']);
			assert.equal(result.code, 0, describeResult(result));
			assert.match(result.stdout.split('\n').find(line => line.startsWith('SERVICE')) ?? '', /\sREASON$/);
			for (const name of SERVICES) {
				assert.ok(result.stdout.split('\n').some(line => line.startsWith(`${name} `) && / failed .* exited with code 2 at once/.test(line)), result.stdout);
				assert.ok(result.stdout.split('\n').some(line => line.startsWith(`${name} failed: ${why} (at `)), result.stdout);
			}
			// Started again by hand: running, and no longer failed for that reason.
			result = await runCli(['services', 'start', 'scheduler', '--json', '--config', config], {env: {SACCOS_QUEUE_STATE_DIR: other}, cwd: dir, timeoutMs: 60_000});
			assert.equal(result.code, 0, describeResult(result));
			const again = (JSON.parse(result.stdout) as {services: Status[]}).services;
			assert.deepEqual(again.map(service => [service.name, service.state, service.reason, service.failedAt]), [['scheduler', 'running', null, null]]);
		} finally {
			const result = await run(['services', 'stop', 'all']);
			assert.equal(result.code, 0, describeResult(result));
		}
	});

	it('a service that starts 10 times in 5 minutes is given up: failed, with the reason and the time in services --json', async () => {
		const other = path.join(dir, 'state-limit');
		// Each run of the child ends at once (exit 0, after a line): the supervisor restarts it after 1 s, ten times.
		const quit = 'if(process.env.SACCOS_QUEUE_SERVICE){console.error("quitting at once");process.exit(0)}';
		const limitEnv = {SACCOS_QUEUE_STATE_DIR: other, NODE_OPTIONS: `--import=data:text/javascript,${encodeURIComponent(quit)}`};
		const run = async (args: string[]) => runCli([...args, '--config', config], {env: limitEnv, cwd: dir, timeoutMs: 60_000});
		try {
			const started = Date.now();
			let result = await run(['services', 'start', 'worker@high']);
			assert.equal(result.code, 0, describeResult(result));
			const failed = await waitFor(async () => {
				const listed = await run(['services', '--json']);
				assert.equal(listed.code, 0, describeResult(listed));
				const high = (JSON.parse(listed.stdout) as {services: Status[]}).services.find(service => service.name === 'worker@high')!;
				return high.state === 'failed' ? high : undefined;
			}, 'worker@high to be given up after 10 starts', 60_000);
			assert.equal(failed.restarts, 9);
			assert.equal(failed.reason, 'started 10 times in 5 minutes; the last run exited with code 0: quitting at once');
			assert.ok(failed.failedAt !== null && failed.failedAt >= started && failed.failedAt <= Date.now(), String(failed.failedAt));
			result = await run(['services']);
			assert.ok(result.stdout.split('\n').some(line => line.startsWith('worker@high failed: started 10 times in 5 minutes; the last run exited with code 0: quitting at once (at ')), result.stdout);
		} finally {
			const result = await run(['services', 'stop', 'all']);
			assert.equal(result.code, 0, describeResult(result));
		}
	});

	it('a supervisor socket that takes the connection but never answers: exit 70 at once, saying so, not a usage error after a minute', async () => {
		const other = path.join(dir, 'state-mute');
		mkdirSync(other, {recursive: true, mode: 0o700});
		const mute = net.createServer(connection => connection.destroy());
		await new Promise<void>(resolve => mute.listen(path.join(other, 'supervisor.sock'), resolve));
		try {
			const started = Date.now();
			const result = await runCli(['services', '--config', config], {env: {SACCOS_QUEUE_STATE_DIR: other}, cwd: dir, timeoutMs: 20_000});
			assert.equal(result.code, 70, describeResult(result));
			assert.match(result.stderr, /^saccos-queue: the supervisor in \S+ did not answer: (the supervisor closed the connection without an answer|write EPIPE|read ECONNRESET)$/m);
			assert.doesNotMatch(result.stderr, /\n\s+at |Unhandled/, 'one line, no stack trace');
			assert.ok(Date.now() - started < 15_000, 'told at once');
		} finally {
			await new Promise<void>(resolve => mute.close(() => resolve()));
		}
	});

	it('a state folder whose path is too long for the control socket: start all says so at once, naming the limit', async () => {
		const deep = path.join(dir, 'a-state-folder-with-a-long-name-'.repeat(3), 'state');
		const started = Date.now();
		const result = await runCli(['services', 'start', 'all', '--config', config], {env: {SACCOS_QUEUE_STATE_DIR: deep}, cwd: dir});
		assert.equal(result.code, 6, describeResult(result));
		assert.match(result.stderr, /too long for its control socket \(\d+ bytes, at most 107\)/);
		assert.ok(Date.now() - started < 20_000, 'told at once, not after the 30 s wait for the socket');
		assert.ok(!processes().some(proc => proc.environ.includes(`SACCOS_QUEUE_STATE_DIR=${deep}`)), 'nothing left running');
	});

	it('the supervisor killed with SIGKILL: its workers and scheduler stop by themselves, and a new start all runs one set; --redis is never in a process\'s argv', async () => {
		let result = await cli(['services', 'start', 'all', '--redis', url]);
		assert.equal(result.code, 0, describeResult(result));
		const running = await waitFor(async () => {
			const services = await list();
			return services.every(service => service.state === 'running' && alive(service.pid)) ? services : undefined;
		}, 'every service running', 60_000);
		// Only its owner can reach the control socket.
		assert.equal(statSync(path.join(stateDir, 'supervisor.sock')).mode & 0o777, 0o600);
		assert.equal(statSync(stateDir).mode & 0o777, 0o700);
		// The URL (it may hold a password) goes to the children in their environment, which only their owner can read.
		for (const proc of ours()) {
			assert.ok(!proc.cmdline.includes('--redis') && !proc.cmdline.some(arg => arg.includes(url)), `the Redis URL in the argv of ${proc.pid}: ${proc.cmdline.join(' ')}`);
		}
		const supervisor = (JSON.parse(readFileSync(path.join(stateDir, 'supervisor.json'), 'utf8')) as {pid: number}).pid;
		supervisorPid = supervisor;
		process.kill(supervisor, 'SIGKILL');
		const children = running.map(service => service.pid!);
		await waitFor(() => children.every(pid => !alive(pid)), `the orphaned children (${children.join(', ')}) to stop by themselves`, 40_000);
		result = await cli(['services', 'start', 'all']);
		assert.equal(result.code, 0, describeResult(result));
		const again = await waitFor(async () => {
			const services = await list();
			return services.every(service => service.state === 'running' && alive(service.pid)) ? services : undefined;
		}, 'every service running again', 60_000);
		assert.equal(again.length, SERVICES.length);
		result = await cli(['services', 'stop', 'all'], 60_000);
		// If this stop is slow, the logs say which service took its time, and why it ended.
		const tails = again.map(service => `${service.name}:\n${readFileSync(service.logFile!, 'utf8').split('\n').slice(-4).join('\n')}`).join('\n');
		assert.equal(result.code, 0, `${describeResult(result)}\n${tails}`);
		await waitFor(() => ours().length === 0, 'nothing left', 30_000);
	});
});

