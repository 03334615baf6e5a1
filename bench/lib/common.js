/**
 * What the benches share besides their private redis-server: option parsing,
 * the child processes' environment and spawning, statistics, Redis command
 * counting, the report's tables and header, and the exit path.
 *
 * Not a bench (no marker, and bench/run.js only looks at bench/*.js): the
 * benches import it. Importing it installs nothing; messages and errors carry
 * the name of the bench that passes it in.
 */
import {spawn, execFileSync} from 'node:child_process';
import {existsSync, readdirSync, statSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {parseArgs} from 'node:util';
import {live, cleanupNow} from './private-redis.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

// ---------------------------------------------------------------------------
// Options

/** Parses process.argv: `defaults` maps each option to its default (a string, false for a flag, undefined for none), --help/-h is added; errors print "<bench>: …" and exit 2, --help prints `usage` (when given) and exits 0. */
export function parseOptions(bench, defaults, usage) {
	const spec = {};
	for (const [name, value] of Object.entries(defaults)) {
		spec[name] = value === undefined ? {type: 'string'} : {type: typeof value, default: value};
	}
	spec.help = {type: 'boolean', short: 'h', default: false};
	let values;
	try {
		({values} = parseArgs({options: spec, strict: true}));
	} catch (error) {
		process.stderr.write(`${bench}: ${error.message}\n`);
		process.exit(2);
	}
	if (usage !== undefined && values.help) {
		process.stdout.write(`${usage}\n`);
		process.exit(0);
	}
	// The numeric checkers print "<bench>: --<name> must be …" and exit 2.
	const check = (name, valid, requirement) => {
		const value = Number(values[name]);
		if (!valid(value)) {
			process.stderr.write(`${bench}: --${name} must be ${requirement}\n`);
			process.exit(2);
		}
		return value;
	};
	return {
		values,
		intOption: (name, min) => check(name, value => Number.isInteger(value) && value >= min, `a whole number >= ${min}`),
		numberOption: (name, min) => check(name, value => Number.isFinite(value) && value >= min, `a number >= ${min}`),
		positiveOption: name => check(name, value => Number.isFinite(value) && value > 0, 'a positive number'),
	};
}

// ---------------------------------------------------------------------------
// Child processes

/** A copy of process.env without what would point a child elsewhere (REDIS_URL, SACCOS_QUEUE_*, NODE_OPTIONS, …). */
export function childEnv() {
	const env = {...process.env};
	for (const name of ['REDIS_URL', 'REDIS_PASSWORD', 'SACCOS_QUEUE_CONFIG', 'SACCOS_QUEUE_PREFIX', 'SACCOS_QUEUE_READ_ONLY', 'NODE_OPTIONS', 'NODE_DEBUG']) delete env[name];
	return env;
}

/** Spawns `file args` (stdio piped, in live.children until closed, `onSpawn` gets the child); resolves with {ms: spawn → exit and stdio closed, code, signal, stdout, stderr}. */
export function runProcess(file, args, {cwd, env, onSpawn} = {}) {
	return new Promise((resolve, reject) => {
		const started = process.hrtime.bigint();
		const child = spawn(file, args, {cwd, env, stdio: ['ignore', 'pipe', 'pipe']});
		live.children.add(child);
		onSpawn?.(child);
		const stdout = [];
		const stderr = [];
		child.stdout.on('data', chunk => stdout.push(chunk));
		child.stderr.on('data', chunk => stderr.push(chunk));
		child.once('error', reject);
		child.once('close', (code, signal) => {
			const ms = Number(process.hrtime.bigint() - started) / 1e6;
			live.children.delete(child);
			resolve({ms, code, signal, stdout: Buffer.concat(stdout).toString(), stderr: Buffer.concat(stderr).toString()});
		});
	});
}

// ---------------------------------------------------------------------------
// Statistics

/** The median of `values` (the mean of the two middle ones for an even count). */
export function median(values) {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** {n, median, p<q×100> per quantile q (nearest rank), min, max} of `samples`, and their mean after max with `mean: true`. */
export function summarize(samples, quantiles = [], {mean = false} = {}) {
	const sorted = [...samples].sort((a, b) => a - b);
	const summary = {n: sorted.length, median: median(sorted)};
	for (const q of quantiles) summary[`p${Math.round(q * 100)}`] = sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
	summary.min = sorted[0];
	summary.max = sorted[sorted.length - 1];
	if (mean) summary.mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
	return summary;
}

// ---------------------------------------------------------------------------
// Redis commands executed (INFO commandstats)

async function commandStats(client) {
	const text = await client.info('commandstats');
	const calls = new Map();
	for (const match of text.matchAll(/^cmdstat_(\S+?):calls=(\d+)/gm)) calls.set(match[1], Number(match[2]));
	return calls;
}

function diff(after, before) {
	const delta = new Map();
	for (const [name, calls] of after) {
		const change = calls - (before.get(name) ?? 0);
		if (change !== 0) delta.set(name, change);
	}
	return delta;
}

/** What measuring costs by itself (the first INFO commandstats shows up in the second): for commandDelta() to subtract. */
export async function calibrate(client) {
	const before = await commandStats(client);
	const after = await commandStats(client);
	return diff(after, before);
}

/** The commands Redis executed while `work()` ran, as a Map name → calls (INFO commandstats on `client` before and after, `calibration` subtracted). */
export async function commandDelta(client, calibration, work) {
	const before = await commandStats(client);
	await work();
	const after = await commandStats(client);
	const delta = diff(after, before);
	for (const [name, calls] of calibration) {
		const left = (delta.get(name) ?? 0) - calls;
		if (left === 0) delta.delete(name);
		else delta.set(name, left);
	}
	return delta;
}

/** "name calls, …" of an object name → calls, most calls first (a fraction with one decimal). */
export const breakdown = byCommand => Object.entries(byCommand).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([name, calls]) => `${name} ${Number.isInteger(calls) ? calls : calls.toFixed(1)}`).join(', ');

/** INFO memory's used_memory_human of `client` (e.g. "1.76M"). */
export const usedMemory = async client => (await client.info('memory')).match(/used_memory_human:(\S+)/)?.[1];

// ---------------------------------------------------------------------------
// Report

/** `value` with `digits` decimals (1 by default). */
export const fmt = (value, digits = 1) => value.toFixed(digits);

/** A progress line on stderr, indented by two spaces. */
export const note = text => process.stderr.write(`  ${text}\n`);

/** "PASS" or "FAIL". */
export const verdict = ok => (ok ? 'PASS' : 'FAIL');

const pad = (text, width, right = false) => (right ? String(text).padStart(width) : String(text).padEnd(width));

/** A plain-text table: the head, a dashed rule and the rows, columns two spaces apart, those in `rightColumns` right-aligned. */
export function table(head, rows, rightColumns = new Set()) {
	const widths = head.map((title, column) => Math.max(title.length, ...rows.map(row => String(row[column]).length)));
	const line = row => row.map((cell, column) => pad(cell, widths[column], rightColumns.has(column))).join('  ').trimEnd();
	return [line(head), widths.map(width => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

/** The report's machine line: date, node, redis-server `redisVersion`, CPUs, OS and load. */
export function machineLine(redisVersion) {
	const cpus = os.cpus();
	return `date ${new Date().toISOString()} | node ${process.version} | redis-server ${redisVersion} | ${cpus.length} × ${cpus[0]?.model.trim() ?? 'cpu'} | ${os.platform()} ${os.release()} | load ${os.loadavg().map(load => load.toFixed(2)).join(' ')}`;
}

/** The short commit of HEAD, noting uncommitted changes in source/ ("unknown" outside git). */
export function gitDescribe() {
	try {
		const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).trim();
		const dirty = execFileSync('git', ['status', '--porcelain', '--', 'source'], {cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).trim();
		return dirty ? `${commit} (source/ has uncommitted changes)` : commit;
	} catch {
		return 'unknown';
	}
}

// ---------------------------------------------------------------------------
// The build

function newestMtime(dir) {
	let newest = 0;
	for (const entry of readdirSync(dir, {withFileTypes: true})) {
		const full = path.join(dir, entry.name);
		newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
	}
	return newest;
}

/** True when one of `files` (paths under dist/) is missing, after printing "<bench>: dist/<file> is missing: run `npm run build` first". */
export function missingBuild(bench, files = ['cli.js']) {
	for (const file of files) {
		if (!existsSync(path.join(root, 'dist', file))) {
			process.stderr.write(`${bench}: dist/${file} is missing: run \`npm run build\` first\n`);
			return true;
		}
	}
	return false;
}

/** True when a file in source/ is newer than everything in dist/ (the code measured is an older build). */
export function staleBuild() {
	const sourceDir = path.join(root, 'source');
	return existsSync(sourceDir) && newestMtime(sourceDir) > newestMtime(path.join(root, 'dist'));
}

// ---------------------------------------------------------------------------
// Exit path

/** Sets process.exitCode to what `main()` resolves with (2 and "<bench>: <stack>" on stderr when it throws), then cleanupNow(). */
export async function runMain(bench, main) {
	try {
		process.exitCode = await main();
	} catch (error) {
		process.stderr.write(`\n${bench}: ${error.stack ?? error}\n`);
		process.exitCode = 2;
	} finally {
		cleanupNow();
	}
}
