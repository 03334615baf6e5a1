/**
 * `demo`: the whole product on a private Redis — redis-server on a free
 * port, the supervisor with the four seed workers and the scheduler, the
 * example SACCOS processors, and traffic with realistic failures — then the
 * console over all of it (without a terminal: a status table every 2 s). On
 * quit everything it started stops.
 */
import {randomBytes} from 'node:crypto';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {numberFlag, stringFlag, type CommandSpec, type Context} from '../command.js';
import {loadConfig} from '../config.js';
import {UserError, fileError} from '../errors.js';
import type {Connection} from '../data/connection.js';
import {atMost} from '../util/bounded.js';

export const spec: CommandSpec = {
	name: 'demo',
	summary: 'A private Redis, the four seed workers, the scheduler and SACCOS-like traffic, shown live.',
	usage: ['demo [--duration S] [--redis URL]'],
	options: {
		duration: {type: 'string', value: 'S', description: 'stop by itself after S seconds (default: until q or Ctrl-C)'},
	},
};

const examples = fileURLToPath(new URL('../../examples/jobs/', import.meta.url));

function demoConfig(url: string, dir: string, prefix: string): object {
	const job = (name: string) => path.join(examples, name);
	return {
		redis: url,
		prefix,
		queues: {
			high: {timeout: 90, tries: 3},
			default: {timeout: 90, tries: 3, isolation: 'process'},
			emails: {timeout: 60, tries: 3, backoff: {type: 'fixed', delay: 2000}},
			notifications: {timeout: 5, tries: 3, backoff: {type: 'exponential', delay: 1000}, limiter: {max: 20, duration: 1000}},
		},
		processors: {
			'reports:generate-scheduled': job('generate-report.js'),
			'reports:generate-daily': job('generate-report.js'),
			'reports:generate-weekly': job('generate-report.js'),
			'reports:generate-monthly': job('generate-report.js'),
			'email.send': job('send-email.js'),
			'sms.send': job('send-sms.js'),
			'approval.processed': job('approval-processed.js'),
			'loan.approved': job('loan-approved.js'),
		},
		monitor: {default: 100, high: 50, emails: 100, notifications: 100},
		processes: 'local',
		stateDir: path.join(dir, 'state'),
	};
}

/** Deletes the keys matching `pattern` on every master, in batches (SCAN, then UNLINK). */
async function deleteKeys(connection: Connection, pattern: string): Promise<void> {
	for (const node of connection.nodes()) {
		let cursor = '0';
		do {
			const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
			cursor = next;
			if (keys.length > 0) await node.unlink(...keys);
		} while (cursor !== '0');
	}
}

/** After a hang-up: the terminal is gone, so output goes nowhere instead of failing. */
function muteTerminal(): void {
	for (const stream of [process.stdout, process.stderr]) {
		stream.on('error', () => {});
		stream.write = ((_chunk: unknown, encoding?: unknown, callback?: unknown) => {
			const done = typeof encoding === 'function' ? encoding : callback;
			if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
			return true;
		}) as typeof stream.write;
	}
	process.stdin.on('error', () => {});
}

/** A file operation of the demo's own: a full or read-only temporary folder is exit 74 naming it (TMPDIR moves it). */
function localFile<T>(work: () => T, doing: string, file: string): T {
	try {
		return work();
	} catch (error) {
		const failure = fileError(error, doing, file);
		if (failure instanceof UserError) throw new UserError('io', failure.message, `${failure.hint}; TMPDIR sets where the demo keeps its files`, {cause: error});
		throw failure;
	}
}

export async function run(context: Context): Promise<number> {
	const duration = context.flags['duration'] === undefined ? undefined : numberFlag(context.flags, 'duration', 60, 1, 86_400);
	const dir = localFile(() => mkdtempSync(path.join(os.tmpdir(), 'saccos-queue-demo-')), 'create a folder in', os.tmpdir());
	const cleanups: Array<() => Promise<void>> = [async () => rmSync(dir, {recursive: true, force: true})];
	// A hang-up (the SSH session dropped) must not kill the demo before it has stopped
	// what it started: absorbed until the clean-up is done (each branch reacts to it).
	const absorbHangUp = () => {};
	process.on('SIGHUP', absorbHangUp);
	// SIGTERM and SIGINT from the start, also while it is still starting things: each ends the
	// demo through the same clean-up (their default action would leave its redis-server behind).
	const ended = new AbortController();
	const end = () => ended.abort();
	process.on('SIGTERM', end);
	process.on('SIGINT', end);
	// Each step is bounded: with the demo's redis-server gone, closing a connection would wait for ever.
	const cleanup = async () => {
		for (const step of cleanups.reverse()) await atMost(step(), 15_000);
	};
	try {
		const [{startPrivateRedis}, {Supervisor}, {defaultServices}, {runTraffic}, {connect}, {takeSnapshot}, {renderTable}, rows] = await Promise.all([
			import('../process/redis-server.js'),
			import('../process/local-supervisor.js'),
			import('../process/services.js'),
			import('../runtime/traffic.js'),
			import('../data/connection.js'),
			import('../data/snapshot.js'),
			import('../output/table.js'),
			import('../present/queue-rows.js'),
		]);
		let url = stringFlag(context.flags, 'redis');
		// On a Redis of yours, the demo keeps to a prefix of its own, deleted afterwards: its workers
		// must never take your real jobs, nor its traffic land in your queues.
		let prefix = 'bull';
		if (url) {
			prefix = `saccos-demo-${randomBytes(4).toString('hex')}`;
			const demoUrl = url;
			cleanups.push(async () => {
				const connection = await connect(await loadConfig({redis: demoUrl, prefix}, {}), 'command');
				try {
					await deleteKeys(connection, `${prefix}:*`);
				} finally {
					await connection.close();
				}
			});
		} else {
			const redis = await startPrivateRedis(dir);
			cleanups.push(redis.stop);
			url = redis.url;
		}
		const file = path.join(dir, 'saccos-queue.config.json');
		localFile(() => writeFileSync(file, JSON.stringify(demoConfig(url, dir, prefix), null, 2)), 'write', file);
		const config = await loadConfig({config: file, redis: url}, {});
		const supervisor = new Supervisor({
			services: defaultServices(config),
			dir: config.stateDir,
			childArgs: ['--config', file],
			env: {SACCOS_QUEUE_OUTBOX: path.join(dir, 'outbox'), SACCOS_QUEUE_STATE_DIR: config.stateDir},
		});
		cleanups.push(async () => supervisor.shutdown());
		await supervisor.start();
		if (ended.signal.aborted) return 0;
		const connection = await connect(config, 'console');
		cleanups.push(connection.close);
		const stop = new AbortController();
		const traffic = runTraffic(connection, config, stop.signal);
		cleanups.push(async () => {
			stop.abort();
			await traffic;
		});

		const interactive = process.stdout.isTTY === true && !context.json;
		if (interactive && process.stdin.isTTY) {
			// On a terminal the demo is the console over the demo's Redis and processes.
			context.note(`demo: Redis ${url}, workers for ${config.queueOrder.join(', ')} and the scheduler under ${config.stateDir}; opening the console (q quits and stops them all)`);
			const [{createConsoleApi}, {openConsole}, {openController}] = await Promise.all([import('../store/console-api.js'), import('../tui/load.js'), import('../process/controller.js')]);
			// SIGHUP: the terminal went away (an SSH session dropped). Writing to it now fails
			// (EIO), which must not cut the clean-up short: stop drawing, then stop everything.
			const hangUp = () => {
				muteTerminal();
				end();
			};
			process.once('SIGHUP', hangUp);
			if (duration !== undefined) setTimeout(end, duration * 1000).unref();
			try {
				if (!ended.signal.aborted) await openConsole(createConsoleApi({connection, config, openController: async () => openController(config, ['--config', file])}), {view: 'queues'}, ended.signal);
			} finally {
				process.off('SIGHUP', hangUp);
			}
			context.note('demo: stopping workers, scheduler and Redis…');
			return 0;
		}
		const quit = new Promise<void>(resolve => {
			if (ended.signal.aborted) resolve();
			ended.signal.addEventListener('abort', () => resolve(), {once: true});
			process.once('SIGHUP', () => resolve());
			if (duration !== undefined) setTimeout(resolve, duration * 1000).unref();
			if (interactive && process.stdin.isTTY) {
				process.stdin.setRawMode(true);
				process.stdin.resume();
				process.stdin.on('data', key => {
					const text = String(key);
					if (text === 'q' || text === '\u0003' || text === '\u001b') resolve();
				});
				cleanups.push(async () => {
					process.stdin.setRawMode(false);
					process.stdin.pause();
				});
			}
		});
		context.note(`demo: Redis ${url}, workers for ${config.queueOrder.join(', ')} and the scheduler under ${config.stateDir}${interactive ? ' — q to quit' : ''}`);
		const draw = async () => {
			const snapshot = await takeSnapshot(connection, config, config.queueOrder);
			const services = supervisor.status();
			const text = [
				`saccos-queue demo · ${rows.redisLine(snapshot)} · ${new Date().toLocaleTimeString()}`,
				'',
				renderTable(rows.queueHead, snapshot.queues.map(rows.queueRow)),
				'',
				renderTable(['SERVICE', 'STATE', 'PID', 'RESTARTS'], services.map(service => [service.name, service.state, service.pid ?? '-', service.restarts])),
				'',
				interactive ? 'q quit' : '',
			].join('\n');
			if (interactive) process.stdout.write(`\u001B[H\u001B[2J${text}\n`);
			else if (context.json) process.stdout.write(`${JSON.stringify({queues: snapshot.queues, services})}\n`);
			else context.out(`${text}\n`);
		};
		let finished = false;
		void quit.then(() => {
			finished = true;
		});
		while (!finished) {
			await draw().catch(error => context.note(`refresh failed: ${(error as Error).message}`));
			await Promise.race([quit, new Promise(resolve => setTimeout(resolve, interactive ? 1000 : 2000))]);
		}
		context.note('demo: stopping workers, scheduler and Redis…');
		return 0;
	} finally {
		await cleanup();
		process.off('SIGHUP', absorbHangUp);
		process.off('SIGTERM', end);
		process.off('SIGINT', end);
	}
}
