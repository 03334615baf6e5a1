/**
 * What every command gets: parsed flags, the configuration, a lazily opened
 * Redis connection, and output helpers that know about --json. Commands are
 * thin: they call data/ and print what it returns.
 */
import type {Config} from './config.js';
import type {Connection, Purpose} from './data/connection.js';
import {UserError} from './errors.js';

export type OptionSpec = {
	type: 'string' | 'boolean';
	short?: string;
	multiple?: boolean;
	/** Shown in --help. */
	description: string;
	/** e.g. "N", "STATE" — shown in --help. */
	value?: string;
};

export type CommandSpec = {
	name: string;
	summary: string;
	/** Usage lines after the program name, e.g. "jobs <queue> --state S". */
	usage: string[];
	options?: Record<string, OptionSpec>;
	/** What the command replaces in the seed, for --help and the README. */
	replaces?: string;
	/** Whether it may change Redis (decides --read-only refusals). */
	writes?: boolean;
};

export type Flags = Record<string, string | boolean | string[] | undefined>;

export type Context = {
	args: string[];
	flags: Flags;
	json: boolean;
	verbose: boolean;
	config: Config;
	/** Loads the configuration again from the same flags, environment and file (SIGHUP). */
	reloadConfig(): Promise<Config>;
	/** Opens (once) and returns the connection for this command. */
	connect(purpose?: Purpose): Promise<Connection>;
	/** For human output; never called in --json mode by well-behaved commands. */
	out(text: string): void;
	/** Progress and notes: stderr, so stdout stays a clean document. */
	note(text: string): void;
	/** True when stdout is a terminal (progress bars, prompts). */
	interactive: boolean;
};

export type CommandModule = {
	spec: CommandSpec;
	run(context: Context): Promise<number>;
};

/** A whole number flag within bounds, or a usage error naming the flag. */
export function intFlag(flags: Flags, name: string, fallback: number, min: number, max: number): number {
	const raw = flags[name];
	if (raw === undefined) return fallback;
	const text = String(raw);
	if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
		throw new UserError('usage', `--${name} must be a whole number from ${min} to ${max}, got "${text}"`, `e.g. --${name} ${fallback}`);
	}
	return Number(text);
}

/** A number flag (decimals allowed) within bounds, or a usage error naming the flag. */
export function numberFlag(flags: Flags, name: string, fallback: number, min: number, max: number): number {
	const raw = flags[name];
	if (raw === undefined) return fallback;
	const text = String(raw);
	const value = Number(text);
	if (!/^\d+(\.\d+)?$/.test(text) || value < min || value > max) {
		throw new UserError('usage', `--${name} must be a number from ${min} to ${max}, got "${text}"`, `e.g. --${name} ${fallback}`);
	}
	return value;
}

/** A string flag, or undefined. */
export const stringFlag = (flags: Flags, name: string): string | undefined => {
	const raw = flags[name];
	if (Array.isArray(raw)) return raw[raw.length - 1];
	return typeof raw === 'string' ? raw : undefined;
};

/** A list flag given as repeats and/or commas: `--queue high,default --queue emails`. */
export function listFlag(flags: Flags, name: string): string[] | undefined {
	const raw = flags[name];
	if (raw === undefined || typeof raw === 'boolean') return undefined;
	const values = (Array.isArray(raw) ? raw : [raw]).flatMap(value => value.split(',')).map(value => value.trim()).filter(Boolean);
	if (values.length === 0) throw new UserError('usage', `--${name} needs a value`, `e.g. --${name} high,default`);
	return [...new Set(values)];
}

/** Exactly `count` positional arguments, else a usage error showing the usage. */
export function expectArgs(context: Context, spec: CommandSpec, min: number, max = min): void {
	if (context.args.length < min || context.args.length > max) {
		const what = context.args.length < min ? 'missing argument' : `unexpected argument "${context.args[max]}"`;
		throw new UserError('usage', `${spec.name}: ${what}`, `usage: saccos-queue ${spec.usage[0]}`);
	}
}
