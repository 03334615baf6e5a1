/**
 * argv → command. Parses flags with node:util's parseArgs (strict: an unknown
 * flag is exit 2), loads the configuration, runs the command and turns every
 * failure into the contract's exit code. Heavy modules load lazily: a cold
 * `status --json` imports ioredis and this file's few helpers, nothing else.
 */
import {parseArgs} from 'node:util';
import {stringFlag, type CommandModule, type CommandSpec, type Context, type Flags, type OptionSpec} from './command.js';
import {commands, findCommand} from './commands/index.js';
import {hoistGlobalOptions, type Hoisted} from './argv.js';
import {loadConfig} from './config.js';
import type {Connection, Purpose} from './data/connection.js';
import {redact} from './common/redact.js';
import {sanitizeLine, toSafeJson} from './common/sanitize.js';
import {ExitCode, UserError, fileError, isUserError} from './errors.js';
import {initColor} from './output/color.js';

import {VERSION} from './version.js';

/** Flags every command accepts. */
export const globalOptions: Record<string, OptionSpec> = {
	redis: {type: 'string', value: 'URL', description: 'Redis URL (redis://, rediss://; user:password@ allowed); else REDIS_URL'},
	'tls-ca': {type: 'string', value: 'FILE', description: 'rediss://: the CA that signed the server\'s certificate (else REDIS_TLS_CA, config "tls")'},
	'tls-cert': {type: 'string', value: 'FILE', description: 'rediss://: a client certificate (with --tls-key; else REDIS_TLS_CERT)'},
	'tls-key': {type: 'string', value: 'FILE', description: 'rediss://: the client certificate\'s key (else REDIS_TLS_KEY)'},
	'tls-servername': {type: 'string', value: 'NAME', description: 'rediss://: the name on the server\'s certificate, when not the URL\'s host'},
	prefix: {type: 'string', value: 'PREFIX', description: 'BullMQ key prefix (default "bull")'},
	config: {type: 'string', value: 'PATH', description: 'config file (else SACCOS_QUEUE_CONFIG, ./saccos-queue.config.json|yaml, /etc/saccos-queue/config.json|yaml)'},
	json: {type: 'boolean', description: 'print exactly one JSON document (NDJSON for streams)'},
	'read-only': {type: 'boolean', description: 'refuse every write (exit 6)'},
	'no-color': {type: 'boolean', description: 'no colour (also NO_COLOR=1; piped output never has colour)'},
	verbose: {type: 'boolean', short: 'v', description: 'show stack traces of internal errors'},
	help: {type: 'boolean', short: 'h', description: 'show help'},
};

function helpText(spec?: CommandSpec): string {
	const lines: string[] = [];
	const describe = (options: Record<string, OptionSpec>) => {
		const entries = Object.entries(options).map(([name, option]) => {
			const flag = `${option.short ? `-${option.short}, ` : ''}--${name}${option.value ? ` ${option.value}` : ''}`;
			return [flag, option.description] as const;
		});
		const width = Math.max(...entries.map(([flag]) => flag.length));
		return entries.map(([flag, description]) => `  ${flag.padEnd(width)}  ${description}`);
	};
	if (!spec) {
		lines.push(`saccos-queue ${VERSION} — operate the SACCOS BullMQ queues`, '', 'Usage: saccos-queue <command> [options]', '', 'Commands:');
		const width = Math.max(...commands.map(command => command.name.length));
		for (const command of commands) lines.push(`  ${command.name.padEnd(width)}  ${command.summary}`);
		lines.push('', 'Options for every command (before or after its name):', ...describe(globalOptions), '', 'Run `saccos-queue <command> --help` for a command\'s own options.');
		lines.push('Exit codes: 0 ok, 1 check said no, 2 usage, 3 Redis unreachable, 4 auth denied, 5 Redis misconfigured, 6 refused, 70 internal error, 74 a local file could not be written or read.');
		return lines.join('\n');
	}
	lines.push(`${spec.summary}`, '', 'Usage:', ...spec.usage.map(usage => `  saccos-queue ${usage}`));
	if (spec.replaces) lines.push('', `Replaces: ${spec.replaces}`);
	if (spec.options && Object.keys(spec.options).length > 0) lines.push('', 'Options:', ...describe(spec.options));
	lines.push('', 'Common options:', ...describe(globalOptions));
	return lines.join('\n');
}

function parse(argv: string[], spec: CommandSpec | undefined): {args: string[]; flags: Flags} {
	const options: Record<string, {type: 'string' | 'boolean'; short?: string; multiple?: boolean}> = {};
	for (const [name, option] of Object.entries({...globalOptions, ...spec?.options})) {
		options[name] = {type: option.type, ...(option.short ? {short: option.short} : {}), ...(option.multiple ? {multiple: true} : {})};
	}
	try {
		const {values, positionals} = parseArgs({args: argv, options, allowPositionals: true, strict: true});
		return {args: positionals, flags: values as Flags};
	} catch (error) {
		const message = (error as Error).message.split('\n')[0]!.replace(/\. To specify a positional argument.*$/, '');
		const where = spec ? `saccos-queue ${spec.name} --help` : 'saccos-queue --help';
		throw new UserError('usage', message, `see \`${where}\``);
	}
}

/** Whether --json was asked for, read before full parsing so even usage errors come out as JSON. */
const wantsJson = (argv: string[]): boolean => argv.includes('--json');

function printError(error: unknown, json: boolean, verbose: boolean): number {
	if (isUserError(error)) {
		// Messages can quote names read from Redis (queues, ids): untrusted text.
		const message = sanitizeLine(redact(error.message));
		const hint = sanitizeLine(redact(error.hint));
		if (json) {
			process.stdout.write(`${toSafeJson({error: {code: error.code, message, hint}})}\n`);
		} else {
			process.stderr.write(`saccos-queue: ${message}\n${hint ? `  hint: ${hint}\n` : ''}`);
		}
		return error.exitCode;
	}
	const message = sanitizeLine(redact(error instanceof Error ? error.message : String(error)).split('\n')[0]!);
	if (json) {
		process.stdout.write(`${JSON.stringify({error: {code: 'internal', message, hint: 'this is a bug; run with --verbose and report it'}})}\n`);
	} else {
		process.stderr.write(`saccos-queue: internal error: ${message}\n  hint: this is a bug; run with --verbose for the stack trace and report it\n`);
	}
	if (verbose && error instanceof Error && error.stack) process.stderr.write(`${redact(error.stack)}\n`);
	return ExitCode.internal;
}

/** Options alone that ask for help (`--help`, `-h`, `-vh`): the general help. (After a command, --help is that command's help.) */
const asksHelp = (args: string[]): boolean => args.some(arg => arg === '--help' || /^-[^-]*h/.test(arg));

const onTerminal = (): boolean => process.stdout.isTTY === true && process.stdin.isTTY === true;

/**
 * The command's name and its arguments (source/argv.ts). On a terminal,
 * options alone may include the console's own (`saccos-queue --view jobs`),
 * as before options could come before a command.
 */
async function hoist(input: string[]): Promise<Hoisted> {
	try {
		return hoistGlobalOptions(input, globalOptions);
	} catch (error) {
		if (!onTerminal()) throw error;
		const {spec} = await findCommand('console')!.load();
		// Its own error when it fails too: it names the option neither knows.
		const asConsole = hoistGlobalOptions(input, {...globalOptions, ...spec.options});
		if (asConsole.name !== undefined) throw error;
		return {name: 'console', rest: asConsole.rest, after: []};
	}
}

/**
 * The command to run and its arguments. Options for every command may come
 * before its name (source/argv.ts); with none, a terminal opens the console
 * (README, "The console") with the options given.
 */
async function resolveCommand(input: string[]): Promise<{module: CommandModule; rest: string[]} | number> {
	const hoisted = await hoist(input);
	let {name} = hoisted;
	const {rest} = hoisted;
	if (name === undefined && !asksHelp(rest)) {
		if (onTerminal()) name = 'console';
		else if (rest.length > 0) throw new UserError('usage', 'no command given', '`saccos-queue --help` lists the commands, e.g. `saccos-queue status`');
	}
	if (name === undefined || name === 'help') {
		const topic = name === 'help' ? hoisted.after[0] : undefined;
		const entry = topic ? findCommand(topic) : undefined;
		process.stdout.write(`${helpText(entry ? (await entry.load()).spec : undefined)}\n`);
		// No argument and not a terminal: nothing to open, so it is a usage error.
		return input.length === 0 && !process.stdout.isTTY ? ExitCode.usage : ExitCode.ok;
	}
	if (name === 'version') {
		process.stdout.write(`${VERSION}\n`);
		return ExitCode.ok;
	}
	const entry = findCommand(name);
	if (!entry) throw new UserError('usage', `unknown command "${name}"`, `commands: ${commands.map(command => command.name).join(', ')}`);
	return {module: await entry.load(), rest};
}

async function runCommand(input: string[]): Promise<number> {
	const resolved = await resolveCommand(input);
	if (typeof resolved === 'number') return resolved;
	const {module, rest} = resolved;
	const {args, flags} = parse(rest, module.spec);
	if (flags['help']) {
		process.stdout.write(`${helpText(module.spec)}\n`);
		return ExitCode.ok;
	}
	const json = flags['json'] === true;
	initColor(process.stdout, flags['no-color'] === true);
	const configFlags = {
		...(typeof flags['redis'] === 'string' ? {redis: flags['redis']} : {}),
		tls: {ca: stringFlag(flags, 'tls-ca'), cert: stringFlag(flags, 'tls-cert'), key: stringFlag(flags, 'tls-key'), servername: stringFlag(flags, 'tls-servername')},
		...(typeof flags['prefix'] === 'string' ? {prefix: flags['prefix']} : {}),
		...(typeof flags['config'] === 'string' ? {config: flags['config']} : {}),
		readOnly: flags['read-only'] === true,
	};
	const config = await loadConfig(configFlags);
	const connections: Connection[] = [];
	let shared: Promise<Connection> | undefined;
	const context: Context = {
		args,
		flags,
		json,
		verbose: flags['verbose'] === true,
		config,
		reloadConfig: async () => loadConfig(configFlags),
		interactive: process.stdout.isTTY === true && !json,
		connect: async (purpose: Purpose = 'command') => {
			const {connect} = await import('./data/connection.js');
			if (purpose !== 'command') {
				const connection = await connect(config, purpose);
				connections.push(connection);
				return connection;
			}
			shared ??= connect(config, purpose).then(connection => {
				connections.push(connection);
				return connection;
			});
			return shared;
		},
		out: text => process.stdout.write(`${text}\n`),
		note: text => process.stderr.write(`${text}\n`),
	};
	try {
		return await module.run(context);
	} catch (error) {
		const failure = await classify(error, connections[0]?.where);
		// A write that was let through and then failed is audited as failed, with the reason.
		if (module.spec.writes) await (await import('./commands/act.js')).auditFailedWrite(context, failure);
		throw failure;
	} finally {
		await Promise.all(connections.map(async connection => connection.close()));
	}
}

/**
 * The last line of defence against calling the world's fault a bug: an error
 * that reached the top unclassified, but is a Redis reply, an ioredis failure
 * or a full, read-only or forbidden disk, still gets its own code and hint.
 */
async function classify(error: unknown, where: string | undefined): Promise<unknown> {
	if (isUserError(error) || !(error instanceof Error)) return error;
	const system = error as NodeJS.ErrnoException;
	if (system.path && system.syscall) {
		const asFile = fileError(error, system.syscall, system.path);
		if (isUserError(asFile)) return asFile;
	}
	if (where === undefined) return error;
	const {toUserError} = await import('./data/connection.js');
	return toUserError(error, where);
}

/** Runs the CLI and returns the exit code (never throws). */
export async function main(argv: string[]): Promise<number> {
	const json = wantsJson(argv);
	try {
		return await runCommand(argv);
	} catch (error) {
		return printError(error, json, argv.includes('--verbose') || argv.includes('-v'));
	}
}
