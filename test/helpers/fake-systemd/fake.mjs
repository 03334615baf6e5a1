/**
 * Fake `systemctl` and `journalctl` for the systemd adapter tests (there is
 * no running systemd in CI). They REPLAY recordings of a real systemd
 * (test/fixtures/systemd/, see its README for where each came from), laid
 * out by test/helpers/fake-systemd/index.ts in a scenario folder:
 *
 *   $FAKE_SYSTEMD_DIR/show/<unit>            a recorded `systemctl show` block
 *   $FAKE_SYSTEMD_DIR/journal/<unit>.jsonl   recorded `journalctl -o json` lines, oldest first
 *   $FAKE_SYSTEMD_DIR/journal/<unit>.follow  lines a test appends while `-f` runs
 *   $FAKE_SYSTEMD_DIR/version                recorded `systemctl --version`
 *
 * Every invocation is appended to $FAKE_SYSTEMD_LOG as one JSON line
 * ({tool, argv, pid, env}), so tests can assert which commands were run.
 *
 * What the fakes do like the real tools (and the recordings show):
 * - `systemctl show [--property=A,B|-p A] UNIT…`: one Key=Value block per
 *   unit, blank line between blocks; a glob (saccos-queue-worker@*.service)
 *   stands for the recorded units it matches, as the real one expands it over
 *   its loaded units, properties in the recording's (systemd's
 *   own) order, not the requested one; only the requested ones when asked.
 *   `Id=<unit>` is printed first when Id is asked for and the recording was
 *   made without it. Timestamps are printed in the local time zone of the
 *   caller's environment (TZ), as systemctl's format_timestamp() does:
 *   "%a %Y-%m-%d %H:%M:%S %Z", computed with GNU date from the recorded value.
 * - `journalctl -u UNIT -o json [-n N] [--since @S|T] [--until @S|T] [-f]`:
 *   the recorded lines verbatim, filtered by __REALTIME_TIMESTAMP, the last N;
 *   with -f it keeps running and prints lines appended to the .follow file
 *   until SIGTERM/SIGINT.
 * - `systemctl start UNIT…` with FAKE_SYSTEMD_DENY set: the recorded polkit
 *   refusal ("Failed to start <unit>: Interactive authentication required."), exit 1.
 * What they do NOT emulate (documented in the fixtures README): a unit with
 * no recording prints no block (the real one prints Id=…/LoadState=not-found);
 * start/stop/restart always succeed; journalctl supports only -o json.
 */
import {execFileSync} from 'node:child_process';
import {appendFileSync, existsSync, openSync, readdirSync, readFileSync, readSync, closeSync, statSync} from 'node:fs';
import path from 'node:path';

const [tool, ...argv] = process.argv.slice(2);
const dir = process.env.FAKE_SYSTEMD_DIR;
const log = process.env.FAKE_SYSTEMD_LOG;

function record(entry) {
	if (log) appendFileSync(log, `${JSON.stringify({tool, pid: process.pid, ...entry})}\n`);
}

record({argv, env: {TZ: process.env.TZ ?? null, LC_ALL: process.env.LC_ALL ?? null, SYSTEMD_PAGER: process.env.SYSTEMD_PAGER ?? null}});

if (!dir) {
	process.stderr.write(`fake ${tool}: FAKE_SYSTEMD_DIR is not set\n`);
	process.exit(1);
}

/** Options that take a value as the next argument. */
const VALUE_OPTIONS = new Set(['-p', '--property', '-u', '--unit', '-o', '--output', '-n', '--lines', '-S', '--since', '-U', '--until', '-t', '--identifier', '--timestamp', '-H', '--host', '-M', '--machine']);

/** Splits argv into options (name → values) and positional arguments. */
function parse(args) {
	const options = new Map();
	const positional = [];
	const add = (name, value) => options.set(name, [...(options.get(name) ?? []), value]);
	for (let index = 0; index < args.length; index++) {
		const arg = args[index];
		if (arg.startsWith('--')) {
			const eq = arg.indexOf('=');
			if (eq !== -1) add(arg.slice(0, eq), arg.slice(eq + 1));
			else if (VALUE_OPTIONS.has(arg)) add(arg, args[++index]);
			else add(arg, true);
		} else if (arg.startsWith('-') && arg.length > 1) {
			const name = arg.slice(0, 2);
			if (VALUE_OPTIONS.has(name)) add(name, arg.length > 2 ? arg.slice(2) : args[++index]);
			else for (const flag of arg.slice(1)) add(`-${flag}`, true);
		} else {
			positional.push(arg);
		}
	}
	return {options, positional};
}

const TIMESTAMP = /^[A-Z][a-z]{2} \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?: [A-Za-z0-9+-]+)?$/;

/** A recorded timestamp, re-rendered in the caller's local zone the way systemctl renders it. */
function localTimestamp(value) {
	const epoch = execFileSync('date', ['-d', value.replace(/^[A-Z][a-z]{2} /, ''), '+%s'], {encoding: 'utf8'}).trim();
	return execFileSync('date', ['-d', `@${epoch}`, '+%a %Y-%m-%d %H:%M:%S %Z'], {encoding: 'utf8', env: {...process.env, LC_ALL: 'C'}}).trim();
}

function systemctl() {
	if (argv.includes('--version')) {
		process.stdout.write(readFileSync(path.join(dir, 'version'), 'utf8'));
		return 0;
	}
	const {options, positional} = parse(argv);
	const [verb, ...units] = positional;
	if (verb === 'show') {
		const wanted = [...(options.get('--property') ?? []), ...(options.get('-p') ?? [])].flatMap(value => String(value).split(',')).filter(Boolean);
		const blocks = [];
		for (const unit of expandGlobs(units)) {
			const file = path.join(dir, 'show', unit);
			if (!existsSync(file)) continue;
			const lines = readFileSync(file, 'utf8').split('\n').filter(line => line !== '');
			const keyOf = line => (line.includes('=') ? line.slice(0, line.indexOf('=')) : line);
			let selected = wanted.length > 0 ? lines.filter(line => wanted.includes(keyOf(line))) : lines;
			if ((wanted.length === 0 || wanted.includes('Id')) && !lines.some(line => keyOf(line) === 'Id')) selected = [`Id=${unit}`, ...selected];
			blocks.push(selected.map(line => {
				const key = keyOf(line);
				const value = line.slice(key.length + 1);
				return TIMESTAMP.test(value) ? `${key}=${localTimestamp(value)}` : line;
			}).join('\n'));
		}
		process.stdout.write(blocks.length > 0 ? `${blocks.join('\n\n')}\n` : '');
		return 0;
	}
	if (['start', 'stop', 'restart'].includes(verb)) {
		if (units.length === 0) {
			process.stderr.write(`Too few arguments.\n`);
			return 1;
		}
		// A caller polkit does not allow (FAKE_SYSTEMD_DENY): the recorded refusal, for the first unit.
		if (verb === 'start' && process.env.FAKE_SYSTEMD_DENY) {
			process.stderr.write(readFileSync(path.join(dir, 'start-denied'), 'utf8').replace('apparmor.service', units[0]));
			return 1;
		}
		return 0;
	}
	process.stderr.write(`fake systemctl: "${verb}" is not recorded\n`);
	return 1;
}

/**
 * systemctl's glob patterns (fnmatch: *, ?, [...]) match the units the manager
 * has loaded; here, the units that have a recording. Names come first as
 * given, then the matches not among them, sorted (as list-units orders them).
 */
function expandGlobs(args) {
	const isGlob = arg => /[*?[]/.test(arg);
	const names = args.filter(arg => !isGlob(arg));
	const recorded = existsSync(path.join(dir, 'show')) ? readdirSync(path.join(dir, 'show')).sort() : [];
	const matches = args.filter(isGlob).flatMap(glob => {
		const pattern = new RegExp(`^${glob.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
		return recorded.filter(unit => pattern.test(unit));
	});
	return [...names, ...[...new Set(matches)].filter(unit => !names.includes(unit))];
}

/** `--since`/`--until` value → epoch µs. */
function timeArgument(value) {
	if (value === undefined) return undefined;
	if (/^@\d+(\.\d+)?$/.test(value)) return Math.round(Number(value.slice(1)) * 1_000_000);
	const parsed = Date.parse(value);
	if (Number.isFinite(parsed)) return parsed * 1000;
	process.stderr.write(`Failed to parse timestamp: ${value}\n`);
	process.exit(1);
}

async function journalctl() {
	const {options} = parse(argv);
	const output = [...(options.get('-o') ?? []), ...(options.get('--output') ?? [])].at(-1);
	if (output !== 'json') {
		process.stderr.write('fake journalctl: only "-o json" output is recorded\n');
		return 2;
	}
	const units = [...(options.get('-u') ?? []), ...(options.get('--unit') ?? [])];
	const count = [...(options.get('-n') ?? []), ...(options.get('--lines') ?? [])].at(-1);
	const since = timeArgument([...(options.get('-S') ?? []), ...(options.get('--since') ?? [])].at(-1));
	const until = timeArgument([...(options.get('-U') ?? []), ...(options.get('--until') ?? [])].at(-1));
	const follow = options.has('-f') || options.has('--follow');
	let lines = units.flatMap(unit => {
		const file = path.join(dir, 'journal', `${unit}.jsonl`);
		return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
	});
	const realtime = line => {
		const value = Number(JSON.parse(line).__REALTIME_TIMESTAMP);
		return Number.isFinite(value) ? value : undefined;
	};
	if (since !== undefined) lines = lines.filter(line => (realtime(line) ?? -Infinity) >= since);
	if (until !== undefined) lines = lines.filter(line => (realtime(line) ?? Infinity) <= until);
	if (count !== undefined && count !== 'all' && count !== '+0') lines = lines.slice(-Number(count));
	if (follow) {
		// Before the first line: a caller that stops the follow as soon as it has read a line finds the signal
		// recorded, as a real journalctl takes it at any time (installed after the lines, a loaded machine could
		// deliver it first and kill this process unrecorded).
		const stop = signal => {
			record({event: 'signal', signal});
			process.exit(0);
		};
		process.on('SIGTERM', () => stop('SIGTERM'));
		process.on('SIGINT', () => stop('SIGINT'));
		process.stdout.on('error', () => process.exit(0));
	}
	for (const line of lines) process.stdout.write(`${line}\n`);
	if (!follow) return 0;

	// Follow: print what the test appends to <unit>.follow, until a signal.
	const offsets = new Map(units.map(unit => [unit, 0]));
	const pending = new Map(units.map(unit => [unit, '']));
	for (;;) {
		for (const unit of units) {
			const file = path.join(dir, 'journal', `${unit}.follow`);
			if (!existsSync(file)) continue;
			const size = statSync(file).size;
			const offset = offsets.get(unit);
			if (size <= offset) continue;
			const buffer = Buffer.alloc(size - offset);
			const fd = openSync(file, 'r');
			readSync(fd, buffer, 0, buffer.length, offset);
			closeSync(fd);
			offsets.set(unit, size);
			const text = pending.get(unit) + buffer.toString('utf8');
			const parts = text.split('\n');
			pending.set(unit, parts.pop());
			for (const line of parts) if (line) process.stdout.write(`${line}\n`);
		}
		await new Promise(resolve => setTimeout(resolve, 25));
	}
}

process.exitCode = tool === 'systemctl' ? systemctl() : tool === 'journalctl' ? await journalctl() : 127;
