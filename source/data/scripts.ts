/**
 * Our own Lua scripts, assembled at first use from source/data/lua/*.lua and
 * BullMQ's shipped include files (`--- @include "includes/X"`), so that the
 * parts we share with BullMQ — markers, priority scores, parent dependencies —
 * are BullMQ's exact code, not a copy that drifts.
 */
import {readFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import type {RedisClient} from './connection.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** dist/data → source/data/lua (the .lua files are not copied by tsc). */
const luaDir = path.resolve(here, '..', '..', 'source', 'data', 'lua');
const bullmqCommands = path.join(path.dirname(createRequire(import.meta.url).resolve('bullmq')), 'commands');

function assemble(file: string, seen: Set<string>): string {
	const text = readFileSync(file, 'utf8');
	return text.replace(/^--- @include "([^"]+)"$/gm, (_line, name: string) => {
		// "includes/x" is BullMQ's (from its own scripts, "x" relative to includes/); "saccos/x" is ours.
		const target = name.startsWith('saccos/')
			? path.join(luaDir, 'includes', `${name.slice('saccos/'.length)}.lua`)
			: path.join(name.startsWith('includes/') ? bullmqCommands : path.join(bullmqCommands, 'includes'), `${name}.lua`);
		if (seen.has(target)) return '';
		seen.add(target);
		return assemble(target, seen);
	});
}

const cache = new Map<string, string>();

/** The full text of one of our scripts, includes resolved. */
export function scriptText(name: string): string {
	let text = cache.get(name);
	if (text === undefined) {
		text = assemble(path.join(luaDir, `${name}.lua`), new Set());
		cache.set(name, text);
	}
	return text;
}

/** Defines `name` as a command on the client (EVALSHA with EVAL fallback, ioredis-managed). */
export function defineScript(client: RedisClient, name: string, numberOfKeys: number): void {
	const commandName = `saccos_${name.replace(/-/g, '_')}`;
	if ((client as unknown as Record<string, unknown>)[commandName]) return;
	client.defineCommand(commandName, {numberOfKeys, lua: scriptText(name)});
}

/** Calls a script defined with defineScript. */
export async function callScript(client: RedisClient, name: string, keys: string[], args: Array<string | number>): Promise<unknown> {
	const commandName = `saccos_${name.replace(/-/g, '_')}`;
	const command = (client as unknown as Record<string, (...parts: Array<string | number>) => Promise<unknown>>)[commandName];
	if (!command) throw new Error(`script ${name} is not defined on this client`);
	return command.call(client, ...keys, ...args);
}

type Pipeline = ReturnType<RedisClient['pipeline']>;

/** Queues a call of a script defined with defineScript on a pipeline of the same client. */
export function queueScript(pipeline: Pipeline, name: string, keys: string[], args: Array<string | number>): void {
	const commandName = `saccos_${name.replace(/-/g, '_')}`;
	const command = (pipeline as unknown as Record<string, (...parts: Array<string | number>) => unknown>)[commandName];
	if (!command) throw new Error(`script ${name} is not defined on this client`);
	command.call(pipeline, ...keys, ...args);
}
