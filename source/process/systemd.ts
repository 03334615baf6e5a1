/**
 * The systemd backend: `systemctl show|start|stop|restart` for state and
 * control, `journalctl -o json` for logs. Only these two commands are run,
 * never through a shell; their output formats are parsed here, tested
 * against recordings of a real systemd (test/fixtures/systemd/).
 */
import {execFile, spawn} from 'node:child_process';
import {createInterface} from 'node:readline';
import {UserError} from '../errors.js';
import type {LogLine, LogQuery} from './logs.js';
import type {ServiceDefinition, ServiceState, ServiceStatus} from './services.js';

const SHOW_PROPERTIES = 'Id,LoadState,ActiveState,SubState,MainPID,ActiveEnterTimestampMonotonic,ActiveEnterTimestamp,StateChangeTimestamp,NRestarts,MemoryCurrent,UnitFileState';

async function run(command: string, args: string[], timeoutMs = 30_000): Promise<string> {
	return new Promise((resolve, reject) => {
		// TZ=UTC: systemctl prints timestamps in local time ("… EAT"), which Date.parse cannot read.
		execFile(command, args, {timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, env: {...process.env, SYSTEMD_PAGER: '', SYSTEMD_COLORS: '0', LC_ALL: 'C', TZ: 'UTC'}}, (error, stdout, stderr) => {
			const said = String(stderr).trim().split('\n')[0] || error?.message;
			// Not allowed (polkit, not root): a refusal to explain, not a bug.
			if (error && /Interactive authentication required|Access denied|Permission denied|not authorized/i.test(said ?? '')) {
				reject(new UserError('refused', `${command} ${args[0] ?? ''}: ${said!}`, 'run it as root (sudo), or as a user polkit allows to manage these units'));
			} else if (error) reject(Object.assign(new Error(`${command} ${args.join(' ')}: ${said!}`), {code: (error as NodeJS.ErrnoException).code}));
			else resolve(String(stdout));
		});
	});
}

/** Parses `systemctl show` output: blocks of Key=Value lines separated by blank lines. */
export function parseShow(text: string): Array<Record<string, string>> {
	return text
		.split(/\n\s*\n/)
		.map(block => block.trim())
		.filter(Boolean)
		.map(block => Object.fromEntries(block.split('\n').map(line => {
			const eq = line.indexOf('=');
			return eq === -1 ? [line, ''] : [line.slice(0, eq), line.slice(eq + 1)];
		})));
}

function stateOf(unit: Record<string, string>): ServiceState {
	if (unit['LoadState'] === 'not-found') return 'not-installed';
	const active = unit['ActiveState'];
	if (active === 'active') return unit['SubState'] === 'running' || unit['SubState'] === 'exited' ? 'running' : 'starting';
	if (active === 'activating') return unit['SubState'] === 'auto-restart' ? 'backoff' : 'starting';
	if (active === 'deactivating') return 'stopping';
	if (active === 'failed') return 'failed';
	return 'stopped';
}

/** `ActiveEnterTimestamp` ("Sat 2026-11-28 19:53:18 UTC") → epoch ms. */
function timestamp(text: string | undefined): number | null {
	if (!text || text === 'n/a') return null;
	const parsed = Date.parse(text.replace(/^[A-Z][a-z]{2} /, '').replace(/ ([A-Z]{2,5})$/, ' $1'));
	return Number.isFinite(parsed) ? parsed : null;
}

/** Turns one `systemctl show` block into a ServiceStatus. */
export function toStatus(definition: ServiceDefinition, unit: Record<string, string>): ServiceStatus {
	const state = stateOf(unit);
	const pid = Number(unit['MainPID'] ?? 0);
	const memory = Number(unit['MemoryCurrent']);
	return {
		name: definition.name,
		unit: definition.unit,
		kind: definition.kind,
		state,
		pid: pid > 0 ? pid : null,
		since: timestamp(state === 'running' ? unit['ActiveEnterTimestamp'] : unit['StateChangeTimestamp']),
		restarts: Number(unit['NRestarts'] ?? 0) || 0,
		memory: Number.isFinite(memory) && memory > 0 && memory < 2 ** 63 ? memory : null,
		enabled: unit['UnitFileState'] === undefined ? null : unit['UnitFileState'] === 'enabled',
		logFile: null,
		backend: 'systemd',
		reason: null,
		failedAt: null,
	};
}

/**
 * The status of each definition, in one `systemctl show`. With `discover` (a
 * glob such as saccos-queue-worker@*.service, which systemctl matches against
 * its loaded units), the loaded units it matches that are not among the
 * definitions come after them (a second worker on a queue, `@high-2`), made
 * into definitions by `definitionOf`.
 */
export async function systemdStatus(definitions: ServiceDefinition[], discover?: {glob: string; definitionOf(unit: string): ServiceDefinition | undefined}): Promise<ServiceStatus[]> {
	const output = await run('systemctl', ['show', '--no-pager', `--property=${SHOW_PROPERTIES}`, ...definitions.map(definition => definition.unit), ...(discover ? [discover.glob] : [])]);
	const blocks = parseShow(output);
	const statuses = definitions.map(definition => toStatus(definition, blocks.find(block => block['Id'] === definition.unit) ?? {LoadState: 'not-found'}));
	if (!discover) return statuses;
	const known = new Set(definitions.map(definition => definition.unit));
	for (const block of blocks) {
		const unit = block['Id'];
		const definition = unit && !known.has(unit) ? discover.definitionOf(unit) : undefined;
		if (!definition) continue;
		known.add(unit!);
		statuses.push(toStatus(definition, block));
	}
	return statuses;
}

export async function systemdAction(action: 'start' | 'stop' | 'restart', units: string[]): Promise<void> {
	await run('systemctl', [action, '--no-block', ...units], 60_000);
}

/** journalctl's MESSAGE is a string, an array of bytes when it is not valid UTF-8, or an array of values when repeated. */
function message(value: unknown): string {
	if (typeof value === 'string') return value;
	if (Array.isArray(value)) {
		// A field repeated in one entry comes as an array of its values.
		if (value.every(item => typeof item === 'number')) return Buffer.from(value as number[]).toString('utf8');
		return value.map(item => message(item)).join('\n');
	}
	return '';
}

/** One `journalctl -o json` line → a LogLine. */
export function parseJournalLine(text: string, service: string): LogLine | undefined {
	let entry: Record<string, unknown>;
	try {
		entry = JSON.parse(text) as Record<string, unknown>;
	} catch {
		return undefined;
	}
	const micros = Number(entry['__REALTIME_TIMESTAMP']);
	return {
		service,
		time: Number.isFinite(micros) ? Math.floor(micros / 1000) : null,
		pid: entry['_PID'] === undefined ? null : Number(entry['_PID']),
		text: message(entry['MESSAGE']),
	};
}

/** Reads (and with `follow`, streams) a unit's journal. */
export async function journalLines(definition: ServiceDefinition, query: LogQuery, onLine: (line: LogLine) => void): Promise<void> {
	const args = ['-u', definition.unit, '-o', 'json', '--no-pager', ...(query.lines === undefined && query.sinceMs !== undefined ? [] : ['-n', String(query.lines ?? 100)])];
	if (query.sinceMs !== undefined) args.push('--since', `@${Math.floor(query.sinceMs / 1000)}`);
	if (query.untilMs !== undefined) args.push('--until', `@${Math.ceil(query.untilMs / 1000)}`);
	if (query.follow) args.push('-f');
	// Aborted while the caller was still getting ready (the view left): no journalctl to leave behind.
	if (query.signal?.aborted) return;
	await new Promise<void>((resolve, reject) => {
		const child = spawn('journalctl', args, {stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, SYSTEMD_PAGER: '', LC_ALL: 'C'}});
		let stderr = '';
		child.stderr.on('data', chunk => {
			stderr += String(chunk);
		});
		createInterface({input: child.stdout}).on('line', text => {
			const line = parseJournalLine(text, definition.name);
			if (line) onLine(line);
		});
		query.signal?.addEventListener('abort', () => child.kill('SIGTERM'), {once: true});
		child.on('error', reject);
		child.on('close', code => (code === 0 || query.signal?.aborted ? resolve() : reject(new Error(`journalctl: ${stderr.trim().split('\n')[0] ?? `exit ${code}`}`))));
	});
}

/** True when this host runs systemd (PID 1) and has systemctl. */
export async function systemdAvailable(): Promise<boolean> {
	try {
		const {existsSync} = await import('node:fs');
		if (!existsSync('/run/systemd/system')) return false;
		await run('systemctl', ['--version'], 5000);
		return true;
	} catch {
		return false;
	}
}
