/**
 * `supervise`: the local supervisor in the foreground — the configured
 * workers (one per queue) and the scheduler as child processes, restarted
 * with backoff, logs in rotated files. For hosts and demos without systemd.
 */
import path from 'node:path';
import type {CommandSpec, Context, Flags} from '../command.js';
import {UserError, fileError, isUserError} from '../errors.js';
import {toStderr} from '../util/lossy-write.js';
import {onSignals, type HandledSignal} from '../util/signals.js';

export const spec: CommandSpec = {
	name: 'supervise',
	summary: 'Run the workers and the scheduler as supervised child processes (hosts without systemd).',
	usage: ['supervise'],
	replaces: 'systemctl start saccos-queue-worker… on a host without systemd',
};

/** The connection flags a child process needs to see what this one sees. */
export function childArgsOf(flags: Flags): string[] {
	const args: string[] = [];
	if (typeof flags['config'] === 'string') args.push('--config', path.resolve(flags['config']));
	if (typeof flags['redis'] === 'string') args.push('--redis', flags['redis']);
	if (typeof flags['prefix'] === 'string') args.push('--prefix', flags['prefix']);
	return args;
}

export async function run(context: Context): Promise<number> {
	if (context.args.length > 0) throw new UserError('usage', `supervise takes no arguments, got "${context.args[0]}"`, 'services come from the config: a worker per queue and the scheduler');
	const [{Supervisor}, {defaultServices}] = await Promise.all([import('../process/local-supervisor.js'), import('../process/services.js')]);
	const supervisor = new Supervisor({
		services: defaultServices(context.config),
		dir: context.config.stateDir,
		childArgs: childArgsOf(context.flags),
		// Not context.note: stderr may be a file on the very disk that is full (supervisor.err), and an
		// error emitted by process.stderr would end the supervisor.
		note: toStderr,
		onShutdown: () => process.emit('SIGTERM'),
		// Set by `services start <name>` when no supervisor runs yet: start that one, not every service.
		...(process.env['SACCOS_QUEUE_SUPERVISE_ONLY'] ? {only: process.env['SACCOS_QUEUE_SUPERVISE_ONLY'].split(',')} : {}),
	});
	try {
		await supervisor.start();
	} catch (error) {
		const io = fileError(error, 'write the supervisor\'s files in', context.config.stateDir);
		if (isUserError(io)) throw io;
		throw new UserError('refused', (error as Error).message, 'use `saccos-queue services` to manage it, or set SACCOS_QUEUE_STATE_DIR for a second one');
	}
	toStderr(`supervising ${supervisor.status().map(status => `${status.name} (pid ${status.pid})`).join(', ')}; logs in ${path.join(context.config.stateDir, 'logs')}`);
	// A hang-up (the terminal of a foreground supervise closed) stops the services as SIGTERM does;
	// the terminal is gone then, so nothing more is written to it. Each signal is taken once: the
	// same one again while the services stop ends the supervisor at once.
	let releaseSignals = () => {};
	const signal = await new Promise<HandledSignal>(resolve => {
		releaseSignals = onSignals(resolve, {signals: ['SIGTERM', 'SIGINT', 'SIGHUP'], once: true});
	});
	if (signal !== 'SIGHUP') toStderr('stopping every service…');
	try {
		await supervisor.shutdown();
	} finally {
		releaseSignals();
	}
	return 0;
}
