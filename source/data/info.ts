/**
 * Parsers for the node-local replies a snapshot gathers: INFO and CLIENT LIST.
 * Pure functions over strings, so they are tested without a server.
 */
import {clientNameFor} from './keys.js';
import type {WorkerInfo} from '../common/types.js';

/** INFO's `key:value` lines as a map (sections merged). */
export function parseInfo(text: string): Map<string, string> {
	const fields = new Map<string, string>();
	for (const line of text.split('\r\n').join('\n').split('\n')) {
		if (line === '' || line.startsWith('#')) continue;
		const colon = line.indexOf(':');
		if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1));
	}
	return fields;
}

export const infoNumber = (info: Map<string, string>, key: string): number => {
	const value = Number(info.get(key));
	return Number.isFinite(value) ? value : 0;
};

/** One CLIENT LIST line as a map of its `k=v` fields. */
function parseClientLine(line: string): Map<string, string> {
	const fields = new Map<string, string>();
	for (const part of line.split(' ')) {
		const eq = part.indexOf('=');
		if (eq > 0) fields.set(part.slice(0, eq), part.slice(eq + 1));
	}
	return fields;
}

/**
 * BullMQ workers from one CLIENT LIST reply, matched locally by client name
 * (`<prefix>:<base64 queue>` or `<prefix>:<base64 queue>:w:<worker name>`), so
 * any number of queues costs one CLIENT LIST.
 */
export function workersFromClientList(text: string, prefix: string, queues: readonly string[]): WorkerInfo[] {
	const byName = new Map<string, string>();
	for (const queue of queues) byName.set(clientNameFor(prefix, queue), queue);
	const workers: WorkerInfo[] = [];
	for (const line of text.split('\n')) {
		if (!line.includes('name=')) continue;
		const fields = parseClientLine(line.trim());
		const name = fields.get('name') ?? '';
		if (!name) continue;
		const marker = name.indexOf(':w:');
		const base = marker === -1 ? name : name.slice(0, marker);
		const queue = byName.get(base);
		if (queue === undefined) continue;
		workers.push({
			name,
			queue,
			workerName: marker === -1 ? null : name.slice(marker + 3),
			addr: fields.get('addr') ?? '',
			age: Number(fields.get('age') ?? 0),
			idle: Number(fields.get('idle') ?? 0),
			source: 'bullmq',
		});
	}
	return workers;
}
