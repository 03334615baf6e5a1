#!/usr/bin/env node
/**
 * The layer rule (docs/ARCHITECTURE.md, Layers), checked on every `npm test`:
 * views and presenters never import Redis, BullMQ or child processes; the
 * data layer, commands and runtime never import Ink or React. A 40-line
 * check instead of ESLint: the rule is about import specifiers only.
 */
import {readdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'source');

const rules = [
	{folders: ['tui', 'present', 'keymap'], banned: /^(bullmq|ioredis|node:child_process|child_process)(\/|$)/},
	{folders: ['data', 'commands', 'runtime', 'process', 'output', 'store'], banned: /^(ink|react|ink-testing-library)(\/|$)/},
];

const importPattern = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s*['"]([^'"]+)['"]/gm;

function* files(folder) {
	for (const entry of readdirSync(folder, {withFileTypes: true})) {
		const full = path.join(folder, entry.name);
		if (entry.isDirectory()) yield* files(full);
		else if (/\.(ts|tsx)$/.test(entry.name)) yield full;
	}
}

const problems = [];
for (const file of files(root)) {
	const top = path.relative(root, file).split(path.sep)[0];
	const rule = rules.find(candidate => candidate.folders.includes(top));
	if (!rule) continue;
	const text = readFileSync(file, 'utf8');
	for (const match of text.matchAll(importPattern)) {
		const specifier = match[1] ?? match[2] ?? match[3];
		if (specifier && rule.banned.test(specifier)) {
			problems.push(`${path.relative(path.dirname(root), file)}: imports "${specifier}", which source/${top}/ must not (docs/ARCHITECTURE.md, Layers)`);
		}
	}
}

if (problems.length > 0) {
	console.error(problems.join('\n'));
	process.exit(1);
}
