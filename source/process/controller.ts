/**
 * One interface over the two ways services are run — systemd units or the
 * local supervisor — auto-detected and overridable (`processes` in the config).
 */
import {spawn} from 'node:child_process';
import {closeSync, mkdirSync, openSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import type {Config} from '../config.js';
import {ExitCode, UserError, fileError} from '../errors.js';
import {askSupervisor, isListening, logPath, socketPath} from './local-supervisor.js';
import {followFile, mergeByTime, readLogLines, type LogLine, type LogQuery} from './logs.js';
import {childLaunch, defaultServices, instanceOfUnit, normalizeName, queueOfInstance, unitOf, WORKER_INSTANCES, type ServiceDefinition, type ServiceStatus} from './services.js';
import {journalLines, systemdAction, systemdAvailable, systemdStatus} from './systemd.js';

export type ProcessController = {
	backend: 'systemd' | 'local';
	/** Where the local supervisor lives (local backend). */
	dir: string | null;
	services: ServiceDefinition[];
	list(): Promise<ServiceStatus[]>;
	start(name: string): Promise<ServiceStatus[]>;
	stop(name: string): Promise<ServiceStatus[]>;
	restart(name: string): Promise<ServiceStatus[]>;
	/** Calls onLine for each line (oldest first); with follow, until the signal aborts. */
	logs(name: string, query: LogQuery, onLine: (line: LogLine) => void): Promise<void>;
};

function resolve(services: ServiceDefinition[], input: string, instancesOf?: readonly string[]): ServiceDefinition[] {
	if (input === 'all') return services;
	const name = normalizeName(input);
	const found = services.filter(service => service.name === name);
	// systemd: an instance of the template on a configured queue (worker@high-2) is a service too;
	// a typo (worker@hihg) is not, or systemd would start a worker on a queue nobody uses.
	const instance = found.length === 0 && instancesOf && name.startsWith('worker@') ? instanceOfUnit(unitOf(name)) : undefined;
	if (instance && instancesOf!.includes(queueOfInstance(name.slice('worker@'.length), instancesOf!))) return [instance];
	if (found.length === 0) {
		throw new UserError('usage', `unknown service "${input}"`, `services: ${services.map(service => service.name).join(', ')}, or all`);
	}
	return found;
}

/** systemd: the per-queue template instances, the all-queues worker and the scheduler that are installed. */
function systemdController(config: Config): ProcessController {
	const candidates: ServiceDefinition[] = [
		...defaultServices(config),
		{name: 'worker', unit: unitOf('worker'), kind: 'worker', args: ['worker']},
	];
	// Loaded instances beyond the configured queues (worker@high-2) are found by the template's glob.
	const installed = async () => (await systemdStatus(candidates, {glob: WORKER_INSTANCES, definitionOf: instanceOfUnit})).filter(status => status.state !== 'not-installed');
	const definitionOf = (status: ServiceStatus): ServiceDefinition => candidates.find(service => service.name === status.name) ?? instanceOfUnit(status.unit)!;
	const act = async (action: 'start' | 'stop' | 'restart', input: string) => {
		const targets = input === 'all' ? (await installed()).map(definitionOf) : resolve(candidates, input, config.queueOrder);
		await systemdAction(action, targets.map(target => target.unit));
		return systemdStatus(targets);
	};
	return {
		backend: 'systemd',
		dir: null,
		services: candidates,
		list: installed,
		start: async name => act('start', name),
		stop: async name => act('stop', name),
		restart: async name => act('restart', name),
		logs: async (name, query, onLine) => {
			const targets = name === 'all' ? (await installed()).map(definitionOf) : resolve(candidates, name, config.queueOrder);
			if (query.follow) {
				await Promise.all(targets.map(async target => journalLines(target, query, onLine)));
				return;
			}
			// The last N lines over all units, oldest first, as the local backend gives them.
			const lists = await Promise.all(targets.map(async target => {
				const lines: LogLine[] = [];
				await journalLines(target, query, line => lines.push(line));
				return lines;
			}));
			const lines = mergeByTime(lists);
			for (const line of query.lines === undefined ? lines : lines.slice(-query.lines)) onLine(line);
		},
	};
}

const bin = fileURLToPath(new URL('../../bin/saccos-queue.js', import.meta.url));

/** How long a supervisor may take to answer on its socket: a loaded host can take many seconds to start node. */
const SUPERVISOR_START_MS = 30_000;

/** Starts `saccos-queue supervise` detached, and waits for its socket; not up in time, it is stopped, so that a failed start leaves nothing running. */
async function launchSupervisor(config: Config, childArgs: string[], only?: readonly ServiceDefinition[]): Promise<void> {
	const launch = childLaunch(childArgs);
	if (only) launch.env['SACCOS_QUEUE_SUPERVISE_ONLY'] = only.map(service => service.name).join(',');
	// What it says while starting goes to a file, so that a failure can be told, not only timed out.
	const errors = path.join(config.stateDir, 'supervisor.err');
	let stderr: number;
	try {
		mkdirSync(config.stateDir, {recursive: true, mode: 0o700});
		stderr = openSync(errors, 'w', 0o600);
	} catch (error) {
		throw fileError(error, 'write the supervisor\'s files in', config.stateDir);
	}
	let child;
	try {
		child = spawn(process.execPath, [bin, 'supervise', ...launch.args], {detached: true, stdio: ['ignore', 'ignore', stderr], env: {...process.env, ...launch.env, SACCOS_QUEUE_STATE_DIR: config.stateDir}});
	} finally {
		closeSync(stderr);
	}
	let exited: number | null = null;
	child.once('exit', code => {
		exited = code ?? 1;
	});
	child.unref();
	const deadline = Date.now() + SUPERVISOR_START_MS;
	while (Date.now() < deadline && exited === null) {
		if (await isListening(socketPath(config.stateDir))) return;
		await new Promise(resolve => setTimeout(resolve, 100));
	}
	if (exited === null) child.kill('SIGTERM');
	const said = readFileSync(errors, 'utf8').trim().split('\n').find(line => line.startsWith('saccos-queue:'))?.replace(/^saccos-queue:\s*/, '');
	// Its own account of a full disk may not have fitted in supervisor.err, on that same disk.
	if (exited === ExitCode.io) throw new UserError('io', `the supervisor did not start: ${said ?? `it could not write its files in ${config.stateDir}`}`, 'free some space (df -h shows which filesystem is full) or set SACCOS_QUEUE_STATE_DIR to a writable folder');
	if (said) throw new UserError('refused', `the supervisor did not start: ${said}`, `its output: ${errors}`);
	throw new UserError('internal', exited === null ? `the supervisor did not start within ${SUPERVISOR_START_MS / 1000} s (stopped)` : `the supervisor exited with code ${exited} while starting`, `its output: ${errors}`);
}

function localController(config: Config, childArgs: string[]): ProcessController {
	const services = defaultServices(config);
	const dir = config.stateDir;
	const running = async () => isListening(socketPath(dir));
	const ask = async (cmd: 'status' | 'start' | 'stop' | 'restart' | 'shutdown', name?: string) => {
		try {
			return await askSupervisor(dir, {cmd, ...(name ? {name} : {})});
		} catch (error) {
			const {code, message} = error as NodeJS.ErrnoException;
			// Its answer (an unknown name…) is the caller's mistake; no answer at all is not.
			if (code !== undefined) {
				throw new UserError('internal', `the supervisor in ${dir} did not answer: ${message}`, 'see `saccos-queue services`; its own output is in supervisor.err there');
			}
			throw new UserError('usage', message, 'see `saccos-queue services`');
		}
	};
	const ofTargets = (statuses: ServiceStatus[], targets: ServiceDefinition[]) => statuses.filter(status => targets.some(target => target.name === status.name));
	const stopped = (): ServiceStatus[] => services.map(service => ({name: service.name, unit: service.unit, kind: service.kind, state: 'stopped', pid: null, since: null, restarts: 0, memory: null, enabled: null, logFile: logPath(dir, service.name), backend: 'local', reason: null, failedAt: null}));
	return {
		backend: 'local',
		dir,
		services,
		list: async () => ((await running()) ? ask('status') : stopped()),
		start: async name => {
			const targets = resolve(services, name);
			if (!(await running())) {
				// A fresh supervisor that starts only what was asked for.
				await launchSupervisor(config, childArgs, name === 'all' ? undefined : targets);
				return ofTargets(await ask('status'), targets);
			}
			return ask('start', name === 'all' ? 'all' : targets[0]!.name);
		},
		stop: async name => {
			const targets = resolve(services, name);
			if (!(await running())) return ofTargets(stopped(), targets);
			// Stopping everything ends the supervisor too: nothing is left behind.
			return ask(name === 'all' ? 'shutdown' : 'stop', name === 'all' ? 'all' : targets[0]!.name);
		},
		restart: async name => {
			const targets = resolve(services, name);
			if (!(await running())) {
				await launchSupervisor(config, childArgs, name === 'all' ? undefined : targets);
				return ofTargets(await ask('status'), targets);
			}
			return ask('restart', name === 'all' ? 'all' : targets[0]!.name);
		},
		logs: async (name, query, onLine) => {
			const targets = resolve(services, name);
			const lines = mergeByTime(targets.map(target => readLogLines(target.name, logPath(dir, target.name), query)));
			for (const line of query.lines !== undefined && targets.length > 1 ? lines.slice(-query.lines) : lines) onLine(line);
			if (query.follow && query.signal) {
				await Promise.all(targets.map(async target => followFile(target.name, logPath(dir, target.name), onLine, query.signal!)));
			}
		},
	};
}

/** The controller for this host: the configured backend, or systemd when it runs and has our units. */
export async function openController(config: Config, childArgs: string[]): Promise<ProcessController> {
	if (config.processes === 'local') return localController(config, childArgs);
	if (config.processes === 'systemd') return systemdController(config);
	if (await systemdAvailable()) {
		const systemd = systemdController(config);
		try {
			if ((await systemd.list()).length > 0) return systemd;
		} catch {
			// systemctl present but unusable: fall back to the local supervisor
		}
	}
	return localController(config, childArgs);
}
