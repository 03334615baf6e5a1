/**
 * Worker and scheduler logs: one JSON object per line on stdout, which
 * journald stores as is (pino).
 * Messages are constants of this code and never carry job data; error text,
 * the one thing that may quote a secret, goes through `errorFields`, which
 * redacts it (on the hot path, not a hook over every line).
 */
import pino, {type Logger} from 'pino';
import {redact} from '../data/redact.js';

export type {Logger};

const levels: Record<string, number> = {trace: 7, debug: 7, info: 6, warn: 4, error: 3, fatal: 2};

type Destination = ReturnType<typeof pino.destination>;
const destinations = new Set<Destination>();

/** Writes out whatever the loggers still buffer (on exit, and twice a second). */
export function flushLogs(): void {
	for (const destination of destinations) {
		try {
			destination.flushSync();
		} catch {
			// nothing buffered, or the stream is gone
		}
	}
}

/**
 * A logger for a long-running process; `name` is "worker" or "scheduler".
 * Lines are buffered (up to 8 KB, flushed every 500 ms and at exit): one
 * write(2) per job line cost a busy worker a fifth of its throughput.
 */
export function createLogger(name: string, target: number | string = 1): Logger {
	const destination = pino.destination({dest: target, sync: false, minLength: 8192});
	if (destinations.size === 0) {
		setInterval(flushLogs, 500).unref();
		process.on('exit', flushLogs);
	}
	destinations.add(destination);
	return pino(
		{
			level: process.env['SACCOS_QUEUE_LOG_LEVEL'] ?? 'info',
			base: {process: name, pid: process.pid},
			timestamp: () => `,"time":"${new Date().toISOString()}"`,
			messageKey: 'msg',
			formatters: {
				// "level" as a word, plus the syslog PRIORITY journald understands.
				level: label => ({level: label, PRIORITY: levels[label] ?? 6}),
			},
		},
		destination,
	);
}

/** An error reduced to what a log line may carry. */
export const errorFields = (error: unknown): {err: string} => ({err: redact(error instanceof Error ? error.message : String(error)).slice(0, 2000)});
