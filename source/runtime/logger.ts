/**
 * Worker and scheduler logs: one JSON object per line on stdout, which
 * journald stores as is (pino, synchronous, so nothing is lost on exit).
 * Messages never carry job data or secrets; `redact` runs over error text.
 */
import pino, {type Logger} from 'pino';
import {redact} from '../data/redact.js';

export type {Logger};

const levels: Record<string, number> = {trace: 7, debug: 7, info: 6, warn: 4, error: 3, fatal: 2};

/** A logger for a long-running process; `name` is "worker" or "scheduler". */
export function createLogger(name: string, destination: number | string = 1): Logger {
	return pino(
		{
			base: {process: name, pid: process.pid},
			timestamp: () => `,"time":"${new Date().toISOString()}"`,
			messageKey: 'msg',
			formatters: {
				// "level" as a word, plus the syslog PRIORITY journald understands.
				level: label => ({level: label, PRIORITY: levels[label] ?? 6}),
			},
			hooks: {
				logMethod(args, method) {
					method.apply(this, args.map(argument => (typeof argument === 'string' ? redact(argument) : argument)) as Parameters<typeof method>);
				},
			},
		},
		pino.destination({dest: destination, sync: true}),
	);
}

/** An error reduced to what a log line may carry. */
export const errorFields = (error: unknown): {err: string} => ({err: redact(error instanceof Error ? error.message : String(error)).slice(0, 2000)});
