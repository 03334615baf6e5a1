/**
 * Log files on a disk that fills up (a real tmpfs), for the two ways our
 * processes write them: the local supervisor's service logs, and a worker
 * whose stdout is a file (`worker >> worker.log`). The processes keep
 * working — every job is done, nothing crashes — the lines that do not fit
 * are dropped and counted, and once there is room again the log says
 * "N log lines dropped: no space left on the device (ENOSPC)".
 */
import {spawn} from 'node:child_process';
import {randomUUID} from 'node:crypto';
import {closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {Queue} from 'bullmq';
import {Redis} from 'ioredis';
import {binary, cleanEnv, describeResult, runCli} from '../helpers/cli.js';
import {deletePrefix, waitFor} from '../helpers/keyspace.js';
import {processes} from '../helpers/procs.js';
import {testRedisUrl} from '../helpers/redis-server.js';
import {mountSmallFs, smallFsUnavailable} from '../helpers/small-fs.js';
import {FAST, useSandboxes} from '../helpers/worker-process.js';

type Status = {name: string; state: string; pid: number | null; logFile: string | null; restarts: number};
type Line = Record<string, unknown> & {msg?: string};

const url = testRedisUrl();
const DROPPED = /^\d+ log lines? dropped: no space left on the device \(ENOSPC\)$/;

const alive = (pid: number | null | undefined): boolean => {
	if (!pid) return false;
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
	} catch {
		return false;
	}
};

describe('log files on a full disk', {skip: smallFsUnavailable()}, () => {
	const open = useSandboxes(url);

	it('the local supervisor: its workers keep doing every job, a worker stopped meanwhile is restarted, and the log notes the dropped lines once there is room', async t => {
		const dir = mkdtempSync(path.join(process.env['SACCOS_TEST_TMPDIR'] || os.tmpdir(), 'saccos-logfull-'));
		const prefix = `logfull-${randomUUID().slice(0, 8)}`;
		const config = path.join(dir, 'config.json');
		const processor = path.join(dir, 'tiny.js');
		writeFileSync(processor, 'export default async function tiny(job) {\n\treturn {tiny: job.id};\n}\n');
		writeFileSync(config, JSON.stringify({redis: url, prefix, processes: 'local', queues: {high: {timeout: 30, tries: 1}}, processors: {tiny: processor}}));
		const client = new Redis(url, {maxRetriesPerRequest: null});
		const queue = new Queue('high', {connection: client, prefix});
		let stateDir = '';
		// Registered before the mount, so it runs before the unmount (the processes hold files there), whatever happened.
		t.after(async () => {
			if (stateDir) await runCli(['services', 'stop', 'all', '--config', config], {env: {SACCOS_QUEUE_STATE_DIR: stateDir}, timeoutMs: 30_000}).catch(() => undefined);
			for (const proc of processes()) if (stateDir && proc.pid !== process.pid && proc.environ.includes(`SACCOS_QUEUE_STATE_DIR=${stateDir}`)) process.kill(proc.pid, 'SIGKILL');
			await queue.close();
			client.disconnect();
			await deletePrefix(url, prefix);
			rmSync(dir, {recursive: true, force: true});
		});
		const disk = mountSmallFs(t, 1024 * 1024);
		stateDir = disk.dir;
		const cli = async (args: string[]) => runCli([...args, '--config', config], {env: {SACCOS_QUEUE_STATE_DIR: stateDir}, cwd: dir, timeoutMs: 30_000});
		const worker = async (): Promise<Status> => {
			const result = await cli(['services', '--json']);
			assert.equal(result.code, 0, describeResult(result));
			return (JSON.parse(result.stdout) as {services: Status[]}).services.find(service => service.name === 'worker@high')!;
		};
		const logLines = (file: string): string[] => readFileSync(file, 'utf8').split('\n').filter(Boolean);
		const startedBy = (file: string, pid: number) => logLines(file).some(line => line.includes('"msg":"worker started"') && line.includes(`"pid":${pid},`));
		const addJobs = async (count: number) => queue.addBulk(Array.from({length: count}, (_, index) => ({name: 'tiny', data: {index}})));

		const started = await cli(['services', 'start', 'all']);
		assert.equal(started.code, 0, describeResult(started));
		const supervisor = (JSON.parse(readFileSync(path.join(stateDir, 'supervisor.json'), 'utf8')) as {pid: number}).pid;
		const first = await worker();
		const logFile = first.logFile!;
		await waitFor(() => startedBy(logFile, first.pid!), 'worker@high to log "worker started"', 20_000);

		disk.fill(0);
		// 30 "job completed" lines are more than the few KB left in the file's last page: most are dropped.
		await addJobs(30);
		await waitFor(async () => (await queue.getCompletedCount()) === 30, 'the 30 jobs to be done while the disk is full', 30_000);
		// Stopped (SIGTERM: it writes out the lines it holds), it is restarted; the supervisor notes that
		// on stderr, which is supervisor.err on this same full disk.
		process.kill(first.pid!, 'SIGTERM');
		await waitFor(async () => {
			const now = await worker();
			return now.state === 'running' && now.pid !== first.pid && alive(now.pid) ? now : undefined;
		}, 'worker@high to be restarted on the full disk', 20_000);
		await addJobs(10);
		await waitFor(async () => (await queue.getCompletedCount()) === 40, 'the restarted worker to do 10 more jobs', 30_000);
		assert.ok(alive(supervisor), 'the supervisor is still running');

		disk.unfill();
		const [last] = await addJobs(1);
		const lines = await waitFor(() => {
			const now = logLines(logFile);
			return now.some(line => line.includes('"msg":"job completed"') && line.includes(`"jobId":"${last!.id}"`)) ? now : undefined;
		}, 'the line of a job done once there is room again', 30_000);
		const parsed = lines.map(line => JSON.parse(line) as Line); // whole lines only: every one parses
		const notes = parsed.filter(line => DROPPED.test(String(line.msg)));
		const shown = `\n${lines.map(line => line.slice(0, 160)).join('\n')}`;
		// A short line may fit where a longer one did not: the count can come in several notes.
		assert.ok(notes.length >= 1, `a "log lines dropped" note:${shown}`);
		const dropped = notes.reduce((sum, line) => sum + Number(line['dropped']), 0);
		// What fitted in the last page of the file went in; every "job completed" line that did not is counted.
		const missing = 40 - parsed.filter(line => line.msg === 'job completed' && line['jobId'] !== last!.id).length;
		assert.ok(missing > 0 && dropped >= missing, `${dropped} dropped, ${missing} "job completed" lines missing${shown}`);
		assert.ok(parsed.indexOf(notes.at(-1)!) < parsed.findIndex(line => line['jobId'] === last!.id), 'the note comes before the first line written again');
	});

	it('a worker whose stdout is a file: it does every job, says once on stderr that lines are dropped, and the file notes how many once there is room', async t => {
		const box = open('logfull');
		const config = box.writeConfig({queues: {q: {timeout: 30, tries: 1}}});
		const disk = mountSmallFs(t, 256 * 1024);
		const file = path.join(disk.dir, 'worker.log');
		const fd = openSync(file, 'a');
		const child = spawn(process.execPath, [binary, 'worker', ...box.args(config), '--queue', 'q', ...FAST], {
			cwd: box.dir,
			env: cleanEnv({SACCOS_TEST_RECORD: box.recordFile}),
			stdio: ['ignore', fd, 'pipe'],
		});
		closeSync(fd);
		let stderr = '';
		child.stderr!.on('data', (chunk: Buffer) => {
			stderr += chunk.toString('utf8');
		});
		const exited = new Promise<number | null>(resolve => child.once('close', code => resolve(code)));
		t.after(async () => {
			child.kill('SIGKILL');
			await exited;
		});
		const text = () => (existsSync(file) ? readFileSync(file, 'utf8') : '');
		await waitFor(() => text().includes('"msg":"worker started"'), 'the worker to log "worker started" into the file', 20_000);

		disk.fill(0);
		for (let index = 0; index < 20; index++) await box.add('q', {index});
		await box.waitForRecords(record => record.event === 'done', 20, '20 jobs done while its log file cannot grow', 30_000);
		// The logger writes within 100 ms of a line: wait until it has tried (and said so).
		await waitFor(() => stderr.includes('cannot write the log'), 'the worker to say on stderr that it drops log lines', 10_000);
		assert.equal(child.exitCode, null, `the worker is still running\n${stderr}`);
		assert.equal(stderr.trim(), `saccos-queue: cannot write the log ${file} (stdout): no space left on the device (ENOSPC); log lines are dropped (and counted) until it can be written again`, 'said once');

		disk.unfill();
		const id = await box.add('q', {index: 20});
		await waitFor(() => text().includes(`"jobId":"${id}"`), 'the lines of a job done once there is room again', 20_000);
		const lines = text().split('\n');
		const note = lines.find(line => line.includes('log lines dropped'));
		assert.ok(note, `a "log lines dropped" line:\n${lines.slice(-6).join('\n')}`);
		const parsed = JSON.parse(note) as Line;
		assert.match(String(parsed.msg), DROPPED);
		assert.deepEqual({level: parsed['level'], process: parsed['process'], pid: parsed['pid']}, {level: 'warn', process: 'worker', pid: child.pid});
		// What fitted in the last page of the file went in (a line may be cut there: stdout cannot be truncated); the rest is counted.
		const whole = lines.filter(line => line.includes('"msg":"job completed"') && !line.includes(`"jobId":"${id}"`)).length;
		assert.ok(whole < 20 && Number(parsed['dropped']) >= 20 - whole, `${String(parsed['dropped'])} dropped, ${20 - whole} "job completed" lines missing`);
		assert.ok(lines.indexOf(note) < lines.findIndex(line => line.includes(`"jobId":"${id}"`)), 'the note comes first');

		child.kill('SIGTERM');
		assert.equal(await exited, 0, stderr);
	});

	it('services start all with the state folder on a full or read-only disk: exit 74 naming the folder, nothing left running or locked', async t => {
		const dir = mkdtempSync(path.join(process.env['SACCOS_TEST_TMPDIR'] || os.tmpdir(), 'saccos-statefull-'));
		const config = path.join(dir, 'config.json');
		writeFileSync(config, JSON.stringify({redis: url, prefix: `statefull-${randomUUID().slice(0, 8)}`, processes: 'local', queues: {high: {}}}));
		let stateDir = '';
		t.after(() => {
			for (const proc of processes()) if (stateDir && proc.pid !== process.pid && proc.environ.includes(`SACCOS_QUEUE_STATE_DIR=${stateDir}`)) process.kill(proc.pid, 'SIGKILL');
			rmSync(dir, {recursive: true, force: true});
		});
		const disk = mountSmallFs(t, 64 * 1024);
		stateDir = disk.dir;
		const start = async () => runCli(['services', 'start', 'all', '--config', config], {env: {SACCOS_QUEUE_STATE_DIR: stateDir}, cwd: dir, timeoutMs: 30_000});

		disk.fill(0);
		const full = await start();
		assert.equal(full.code, 74, describeResult(full));
		assert.match(full.stderr, new RegExp(`^saccos-queue: the supervisor did not start: (cannot write the supervisor's files in ${stateDir}: no space left on the device \\(ENOSPC\\)|it could not write its files in ${stateDir})\n  hint: `), describeResult(full));
		assert.ok(!existsSync(path.join(stateDir, 'supervisor.lock')), 'no lock left to stop the next start');
		assert.deepEqual(processes().filter(proc => proc.environ.includes(`SACCOS_QUEUE_STATE_DIR=${stateDir}`)).map(proc => proc.cmdline.join(' ')), [], 'nothing left running');

		disk.unfill();
		rmSync(path.join(stateDir, 'supervisor.err'), {force: true});
		disk.readOnly();
		const readOnly = await start();
		assert.equal(readOnly.code, 74, describeResult(readOnly));
		assert.match(readOnly.stderr, new RegExp(`^saccos-queue: cannot write the supervisor's files in ${stateDir}: the filesystem is read-only \\(EROFS\\)\n`), describeResult(readOnly));
	});
});
