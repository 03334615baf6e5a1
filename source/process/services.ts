/**
 * The services an installation runs — one worker per configured queue and
 * the scheduler — and their names. Names follow the units (`worker@high` is
 * `saccos-queue-worker@high.service`), so one name works on both backends.
 */
import type {Config} from '../config.js';

export type ServiceKind = 'worker' | 'scheduler';

export type ServiceDefinition = {
	/** Short name: `worker@high`, `worker` (all queues), `scheduler`. */
	name: string;
	unit: string;
	kind: ServiceKind;
	/** The `saccos-queue` arguments that run it. */
	args: string[];
};

export type ServiceState = 'running' | 'starting' | 'stopping' | 'stopped' | 'failed' | 'backoff' | 'not-installed';

/** One service's status, the same shape from systemd and from the local supervisor. */
export type ServiceStatus = {
	name: string;
	unit: string;
	kind: ServiceKind;
	state: ServiceState;
	pid: number | null;
	/** Epoch ms when it entered its current state (started, for a running one). */
	since: number | null;
	restarts: number;
	memory: number | null;
	/** systemd: whether it starts at boot; local: always null. */
	enabled: boolean | null;
	/** Local supervisor: its log file. */
	logFile: string | null;
	backend: 'systemd' | 'local';
	/**
	 * Local supervisor: why it is `failed` — given up (exit 2 at once, or 10 starts in 5 minutes),
	 * or a failed stop — with what it said last; null unless it is failed. systemd: null (its journal says).
	 */
	reason: string | null;
	/** Epoch ms when it was given up; null unless it is failed. */
	failedAt: number | null;
};

export const unitOf = (name: string): string =>
	name === 'scheduler' ? 'saccos-scheduler.service' : name === 'worker' ? 'saccos-queue-worker.service' : `saccos-queue-${name}.service`;

/** A template instance's queue: the queue itself, or the queue and a -N suffix for extra workers (high-2 → high). */
export const queueOfInstance = (instance: string, configured: readonly string[]): string =>
	configured.includes(instance) ? instance : instance.replace(/-\d+$/, '');

/** The systemd glob for every loaded instance of the worker template (`@high-2` included). */
export const WORKER_INSTANCES = 'saccos-queue-worker@*.service';

/** A worker template instance's service, from its unit name (`saccos-queue-worker@high-2.service`), or undefined. */
export function instanceOfUnit(unit: string): ServiceDefinition | undefined {
	const match = /^saccos-queue-worker@([^\s/]+)\.service$/.exec(unit);
	return match ? {name: `worker@${match[1]!}`, unit, kind: 'worker', args: ['worker', '--instance', match[1]!]} : undefined;
}

/** The default services: a worker per configured queue (template style) and the scheduler. */
export function defaultServices(config: Config): ServiceDefinition[] {
	return [
		...config.queueOrder.map(queue => ({name: `worker@${queue}`, unit: unitOf(`worker@${queue}`), kind: 'worker' as const, args: ['worker', '--instance', queue]})),
		{name: 'scheduler', unit: unitOf('scheduler'), kind: 'scheduler', args: ['scheduler']},
	];
}

/**
 * Accepts what an operator types — `worker@high`, `saccos-queue-worker@high`,
 * `saccos-queue-worker@high.service`, `scheduler`, `saccos-scheduler` — and
 * returns the short name.
 */
export function normalizeName(input: string): string {
	const name = input.replace(/\.service$/, '');
	if (name === 'saccos-scheduler' || name === 'scheduler') return 'scheduler';
	if (name === 'saccos-queue-worker' || name === 'worker') return 'worker';
	return name.replace(/^saccos-queue-/, '');
}

/**
 * What starts a child process of ours: `--redis URL` moves from its argv, which
 * every user on the host can read (`ps`), into its environment (REDIS_URL,
 * readable only by its owner; it ranks over the config file as the flag does).
 */
export function childLaunch(args: readonly string[]): {args: string[]; env: Record<string, string>} {
	const kept: string[] = [];
	const env: Record<string, string> = {};
	for (let index = 0; index < args.length; index++) {
		const arg = args[index]!;
		if (arg === '--redis' && index + 1 < args.length) env['REDIS_URL'] = args[++index]!;
		else if (arg.startsWith('--redis=')) env['REDIS_URL'] = arg.slice('--redis='.length);
		else kept.push(arg);
	}
	return {args: kept, env};
}
