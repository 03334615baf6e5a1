#!/usr/bin/env node
/**
 * `npm run bench`: runs every bench in bench/, one after the other.
 *
 * A bench is a bench/*.js file whose first lines carry the marker `@bench`;
 * other files here (bare-status.js, scan-status.js) are helpers the benches
 * spawn. Each bench runs in its own `node` process with this process's stdio.
 *
 *   node bench/run.js [filter …] [--option value …]
 *
 * Leading words filter the benches by file name (substring); everything from
 * the first "-"-prefixed argument on is passed to every bench, e.g.
 * `npm run bench -- --runs 10`. Exit status: 0 when every bench passed, else
 * the first non-zero status (1 = a claim failed, 2 = usage/setup error).
 */
import {spawn} from 'node:child_process';
import {openSync, readSync, closeSync, readdirSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const self = path.basename(fileURLToPath(import.meta.url));

const argv = process.argv.slice(2);
const firstOption = argv.findIndex(arg => arg.startsWith('-'));
const filters = firstOption === -1 ? argv : argv.slice(0, firstOption);
const forwarded = firstOption === -1 ? [] : argv.slice(firstOption);

function head(file) {
	const fd = openSync(file, 'r');
	try {
		const buffer = Buffer.alloc(512);
		const bytes = readSync(fd, buffer, 0, buffer.length, 0);
		return buffer.subarray(0, bytes).toString('utf8');
	} finally {
		closeSync(fd);
	}
}

const benches = readdirSync(here)
	.filter(name => name.endsWith('.js') && name !== self)
	.filter(name => /@bench\b/.test(head(path.join(here, name))))
	.filter(name => filters.length === 0 || filters.some(filter => name.includes(filter)))
	.sort();

if (benches.length === 0) {
	process.stderr.write(`bench/run.js: no bench matches ${filters.join(', ') || '(any)'}\n`);
	process.exit(2);
}

let current;
let interrupted;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
	process.on(signal, () => {
		// A terminal's Ctrl-C reaches the child too (same process group); forward
		// anything else, then let the child clean up (its redis-server) and exit.
		if (current && current.exitCode === null && signal !== 'SIGINT') current.kill(signal);
		interrupted = signal;
	});
}

const results = [];
for (const name of benches) {
	process.stdout.write(`\n=== bench/${name} ${forwarded.join(' ')}\n`);
	const started = performance.now();
	const code = await new Promise(resolve => {
		current = spawn(process.execPath, [path.join(here, name), ...forwarded], {stdio: 'inherit'});
		current.once('error', error => {
			process.stderr.write(`bench/run.js: cannot start ${name}: ${error.message}\n`);
			resolve(2);
		});
		current.once('exit', (status, signal) => resolve(status ?? (signal ? 128 : 2)));
	});
	current = undefined;
	results.push({name, code, seconds: (performance.now() - started) / 1000});
	if (interrupted) break;
}

process.stdout.write('\n=== bench summary\n');
for (const {name, code, seconds} of results) {
	process.stdout.write(`${code === 0 ? 'PASS' : code === 1 ? 'FAIL' : 'ERROR'}  bench/${name}  (exit ${code}, ${seconds.toFixed(0)} s)\n`);
}
if (interrupted) process.stdout.write(`interrupted by ${interrupted}\n`);
const failed = results.find(result => result.code !== 0);
process.exit(interrupted ? 130 : failed ? failed.code : 0);
