/**
 * A Logger for unit tests of the worker's parts: records every call (level,
 * fields with the child bindings merged in, message) instead of writing JSON.
 */
import type {Level, Logger} from '../../source/runtime/logger.js';

export type Captured = {level: Level; msg: string; fields: Record<string, unknown>};

export type CaptureLogger = Logger & {
	lines: Captured[];
	/** The lines with this message. */
	find(msg: string): Captured[];
};

const levels: Level[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

export function captureLogger(): CaptureLogger {
	const lines: Captured[] = [];
	const make = (bindings: Record<string, unknown>): Logger => {
		const logger = {child: (more: Record<string, unknown>) => make({...bindings, ...more})} as Logger;
		for (const level of levels) {
			logger[level] = ((fieldsOrMsg: Record<string, unknown> | string, msg?: string) => {
				if (typeof fieldsOrMsg === 'string') lines.push({level, msg: fieldsOrMsg, fields: {...bindings}});
				else lines.push({level, msg: msg ?? '', fields: {...bindings, ...fieldsOrMsg}});
			}) as Logger[Level];
		}
		return logger;
	};
	return Object.assign(make({}), {lines, find: (msg: string) => lines.filter(line => line.msg === msg)});
}
