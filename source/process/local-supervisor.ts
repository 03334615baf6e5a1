/**
 * The local supervisor (`saccos-queue supervise`), for hosts and demos
 * without systemd: runs each service as a child process, restarts it with
 * backoff when it exits, writes its output to a rotated log file, stops it
 * gracefully, and answers other saccos-queue processes on a Unix socket.
 */
import {spawn, type ChildProcess} from 'node:child_process';
import {chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {createInterface} from 'node:readline';
import {fileURLToPath} from 'node:url';
import {atMost} from '../util/bounded.js';
import {releaseLock, takeLock} from './pid-lock.js';
import {LOG_KEEP, LOG_MAX_BYTES, RotatingLog} from './rotating-log.js';
import {childLaunch, type ServiceDefinition, type ServiceState, type ServiceStatus} from './services.js';

const bin = fileURLToPath(new URL('../../bin/saccos-queue.js', import.meta.url));

export type SupervisorOptions = {
	services: ServiceDefinition[];
	/** Holds the socket, the state file and logs/. */
	dir: string;
	/** Flags passed to every child (--config, --redis, --prefix). */
	childArgs: string[];
	env?: NodeJS.ProcessEnv;
	/** How long a child gets after SIGTERM before SIGKILL. */
	stopTimeoutMs?: number;
	/** Where the supervisor's own notes go. */
	note?: (line: string) => void;
	/** Called after a `shutdown` request from another process has stopped everything. */
	onShutdown?: () => void;
	/** Start only these services (the rest wait for `services start`); all when absent. */
	only?: readonly string[];
};

export const socketPath = (dir: string): string => path.join(dir, 'supervisor.sock');
export const logPath = (dir: string, name: string): string => path.join(dir, 'logs', `${name.replace(/[^\w@.-]/g, '_')}.log`);

type Slot = {
	definition: ServiceDefinition;
	child: ChildProcess | null;
	wanted: boolean;
	state: ServiceState;
	since: number | null;
	restarts: number;
	backoffMs: number;
	timer: NodeJS.Timeout | null;
	log: RotatingLog;
	exited: Promise<void> | null;
	/** When it was launched lately: more than START_LIMIT in START_WINDOW_MS and it is given up (as the units' StartLimit). */
	launches: number[];
	/** SIGKILL was needed to stop it. */
	killed: boolean;
	/** The last lines of its output in this run, for the reason it failed. */
	tail: string[];
	/** Why it is failed, and since when (epoch ms); null unless it is. */
	reason: string | null;
	failedAt: number | null;
};

/** The units' StartLimitBurst=10 in StartLimitIntervalSec=300. */
const START_LIMIT = 10;
const START_WINDOW_MS = 300_000;
/** A usage or config error (the contract's exit 2): running it again changes nothing. */
const USAGE_EXIT = 2;

/** How many of a run's last lines are kept for a failure's reason. */
const TAIL_LINES = 20;
/** The longest reason a child's own words may make (the log has the rest). */
const MAX_WORDS = 300;

/**
 * What a child said last, for the reason it failed: its own error line
 * (`saccos-queue: …`, and the hint under it) when it wrote one, else its last
 * line, a JSON log line by its msg (and error). Null when it said nothing.
 */
export function lastWords(lines: readonly string[]): string | null {
	const clip = (text: string) => (text.length > MAX_WORDS ? `${text.slice(0, MAX_WORDS - 1)}…` : text);
	let at = -1;
	for (let index = lines.length - 1; index >= 0 && at === -1; index--) if (lines[index]!.startsWith('saccos-queue: ')) at = index;
	if (at !== -1) {
		const hint = lines[at + 1]?.trim();
		return clip(`${lines[at]!.slice('saccos-queue: '.length).trim()}${hint?.startsWith('hint: ') ? ` (${hint})` : ''}`);
	}
	const last = lines.at(-1)?.trim();
	if (!last) return null;
	try {
		const fields = JSON.parse(last) as {msg?: unknown; err?: {message?: unknown} | null} | null;
		if (fields && typeof fields === 'object' && typeof fields.msg === 'string') return clip(typeof fields.err?.message === 'string' ? `${fields.msg}: ${fields.err.message}` : fields.msg);
	} catch {
		// not a JSON line: as it is
	}
	return clip(last);
}

/** The longest line a child's output may put in its log; the rest of a longer one is dropped, and says so. */
const MAX_LINE_BYTES = 1024 * 1024;

/**
 * Calls onLine for each line of a child's output (readline has no limit: one endless line
 * would grow the supervisor's memory without bound). Bytes, so a cut never splits a character's
 * decoding across chunks.
 */
export function eachLine(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
	let pending: Buffer[] = [];
	let size = 0;
	let dropping = false;
	const flush = (cut: boolean) => {
		const text = Buffer.concat(pending).toString('utf8').replace(/\r$/, '');
		pending = [];
		size = 0;
		onLine(cut ? `${text} … [line cut at ${MAX_LINE_BYTES} bytes]` : text);
	};
	stream.on('data', (chunk: Buffer) => {
		let start = 0;
		for (let newline = chunk.indexOf(10, start); start < chunk.length; newline = chunk.indexOf(10, start)) {
			const end = newline === -1 ? chunk.length : newline;
			if (!dropping) {
				const room = MAX_LINE_BYTES - size;
				const piece = chunk.subarray(start, Math.min(end, start + room));
				pending.push(piece);
				size += piece.length;
				if (end - start > room) {
					flush(true);
					dropping = true;
				}
			}
			if (newline === -1) break;
			if (dropping) dropping = false;
			else flush(false);
			start = newline + 1;
		}
	});
	stream.on('end', () => {
		if (size > 0 || pending.length > 0) flush(false);
	});
}

function rssOf(pid: number | null): number | null {
	if (!pid) return null;
	try {
		const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
		return match ? Number(match[1]) * 1024 : null;
	} catch {
		return null;
	}
}

/** sockaddr_un's sun_path on Linux: 108 bytes with the final NUL. */
const MAX_SOCKET_PATH = 107;

export class Supervisor {
	private readonly slots = new Map<string, Slot>();
	private server: net.Server | null = null;
	private closing = false;

	constructor(private readonly options: SupervisorOptions) {}

	/** Starts every service and the control socket. Fails if another supervisor owns the folder. */
	async start(): Promise<void> {
		mkdirSync(this.options.dir, {recursive: true, mode: 0o700});
		// Only its owner may control it: the folder too, not only when we created it (umask 002, an existing 0755).
		chmodSync(this.options.dir, 0o700);
		const socket = socketPath(this.options.dir);
		// Longer, and Node would bind a truncated path outside the folder.
		if (Buffer.byteLength(socket) > MAX_SOCKET_PATH) {
			throw new Error(`the state folder's path is too long for its control socket (${Buffer.byteLength(socket)} bytes, at most ${MAX_SOCKET_PATH}): ${this.options.dir}`);
		}
		// One supervisor per folder, also when two start in the same instant over a crashed one's socket.
		await this.lock();
		const state = path.join(this.options.dir, 'supervisor.json');
		let wrote = false;
		try {
			if (existsSync(socket)) {
				if (await isListening(socket)) throw new Error(`a supervisor is already running in ${this.options.dir}`);
				rmSync(socket);
			}
			// Ready before the socket answers: whoever sees it listening may read supervisor.json and ask for the status at once.
			for (const definition of this.options.services) {
				this.slots.set(definition.name, {
					definition,
					child: null,
					wanted: !this.options.only || this.options.only.includes(definition.name),
					state: 'stopped',
					since: null,
					restarts: 0,
					backoffMs: 1000,
					timer: null,
					// A log that cannot be written drops lines, and says so here once: the services keep running.
					log: new RotatingLog(logPath(this.options.dir, definition.name), LOG_MAX_BYTES, LOG_KEEP, {report: line => this.options.note?.(line)}),
					exited: null,
					launches: [],
					killed: false,
					tail: [],
					reason: null,
					failedAt: null,
				});
			}
			writeFileSync(state, JSON.stringify({pid: process.pid, started: Date.now(), socket}), {mode: 0o600});
			wrote = true;
			this.server = net.createServer(connection => this.serve(connection));
			await new Promise<void>((resolve, reject) => {
				this.server!.once('error', reject);
				this.server!.listen(socket, () => resolve());
			});
			chmodSync(socket, 0o600);
		} catch (error) {
			for (const slot of this.slots.values()) slot.log.close();
			this.slots.clear();
			this.server?.close();
			// Not another running supervisor's, which the check above may have found.
			if (wrote) rmSync(state, {force: true});
			this.unlock();
			throw error;
		}
		for (const slot of this.slots.values()) if (slot.wanted) this.launch(slot);
	}

	private launch(slot: Slot): void {
		slot.timer = null;
		if (!slot.wanted || this.closing) return;
		const launch = childLaunch([...slot.definition.args, ...this.options.childArgs]);
		const child = spawn(process.execPath, [bin, ...launch.args], {
			stdio: ['ignore', 'pipe', 'pipe'],
			env: {...process.env, ...this.options.env, ...launch.env, SACCOS_QUEUE_SERVICE: slot.definition.name, SACCOS_QUEUE_SUPERVISED: String(process.pid)},
		});
		slot.child = child;
		slot.state = 'running';
		slot.since = Date.now();
		slot.killed = false;
		slot.tail = [];
		slot.reason = null;
		slot.failedAt = null;
		const started = Date.now();
		slot.launches = [...slot.launches.filter(time => started - time < START_WINDOW_MS), started];
		for (const stream of [child.stdout!, child.stderr!]) {
			eachLine(stream, line => {
				slot.log.write(`${line}\n`);
				if (line.trim() === '') return;
				slot.tail.push(line.slice(0, 2000));
				if (slot.tail.length > TAIL_LINES) slot.tail.shift();
			});
		}
		// Its output ends ('close') after it exits: its last lines (a crash's stack trace) go to the
		// log before why it ended. Not waited for long: a process it started may hold the pipes.
		const closed = new Promise<void>(resolve => child.once('close', () => resolve()));
		slot.exited = new Promise(resolve => {
			child.once('exit', (code, signal) => void atMost(closed, 2000).then(() => {
				slot.child = null;
				const ended = Date.now();
				slot.since = ended;
				const how = slot.killed ? 'signal SIGKILL (it did not stop in time)' : signal ? `signal ${signal}` : `code ${code}`;
				const note = (level: string, msg: string) => slot.log.write(`${JSON.stringify({time: new Date().toISOString(), level, process: 'supervisor', service: slot.definition.name, msg})}\n`);
				note(slot.wanted ? 'warn' : 'info', `exited with ${how}`);
				const quick = ended - started < 60_000;
				const usage = code === USAGE_EXIT && quick;
				const giveUp = usage ? 'a usage or configuration error' : slot.launches.length >= START_LIMIT ? `${START_LIMIT} starts in ${START_WINDOW_MS / 60_000} minutes` : undefined;
				// Why it is failed, for `services` (whoever reads it there need not open the log), with what it said last.
				const fail = (why: string) => {
					const said = lastWords(slot.tail);
					slot.state = 'failed';
					slot.reason = said ? `${why}: ${said}` : why;
					slot.failedAt = ended;
				};
				if (slot.wanted && !this.closing && giveUp) {
					// As systemd's StartLimit: a loop that cannot succeed stops, and says why.
					fail(usage ? `exited with ${how} at once (a usage or configuration error)` : `started ${START_LIMIT} times in ${START_WINDOW_MS / 60_000} minutes; the last run exited with ${how}`);
					const msg = `${slot.definition.name} exited with ${how}; not restarted after ${giveUp}: see its log, then \`saccos-queue services start ${slot.definition.name}\``;
					note('error', msg);
					this.options.note?.(msg);
				} else if (slot.wanted && !this.closing) {
					// Back off on crash loops (1 s, 2 s, 4 s … 30 s); a run of a minute resets it.
					if (!quick) slot.backoffMs = 1000;
					const delay = code === 0 && !signal ? 1000 : slot.backoffMs;
					slot.backoffMs = Math.min(slot.backoffMs * 2, 30_000);
					slot.restarts++;
					slot.state = 'backoff';
					this.options.note?.(`${slot.definition.name} exited with ${how}; restarting in ${delay / 1000}s`);
					slot.timer = setTimeout(() => this.launch(slot), delay);
				} else {
					// Stopped on purpose: stopped, even if it had to be killed (the log says so).
					if (!slot.wanted || code === 0 || signal === 'SIGTERM') slot.state = 'stopped';
					else fail(`exited with ${how} while the supervisor was stopping`);
				}
				resolve();
			}));
		});
	}

	/** Current status of every service. */
	status(): ServiceStatus[] {
		return [...this.slots.values()].map(slot => ({
			name: slot.definition.name,
			unit: slot.definition.unit,
			kind: slot.definition.kind,
			state: slot.state,
			pid: slot.child?.pid ?? null,
			since: slot.since,
			restarts: slot.restarts,
			memory: rssOf(slot.child?.pid ?? null),
			enabled: null,
			logFile: slot.log.file,
			backend: 'local',
			reason: slot.reason,
			failedAt: slot.failedAt,
		}));
	}

	private pick(name: string): Slot[] {
		if (name === 'all') return [...this.slots.values()];
		const slot = this.slots.get(name);
		if (!slot) throw new Error(`unknown service "${name}"; services: ${[...this.slots.keys()].join(', ')}`);
		return [slot];
	}

	async stop(name: string): Promise<ServiceStatus[]> {
		const slots = this.pick(name);
		await Promise.all(slots.map(async slot => this.stopSlot(slot)));
		return this.status().filter(status => slots.some(slot => slot.definition.name === status.name));
	}

	private async stopSlot(slot: Slot): Promise<void> {
		slot.wanted = false;
		if (slot.timer) clearTimeout(slot.timer);
		slot.timer = null;
		const child = slot.child;
		if (!child) {
			// Stopped by hand: a failed one is no longer failed, nor for that reason.
			slot.state = 'stopped';
			slot.reason = null;
			slot.failedAt = null;
			return;
		}
		slot.state = 'stopping';
		child.kill('SIGTERM');
		const kill = setTimeout(() => {
			slot.killed = true;
			child.kill('SIGKILL');
		}, this.options.stopTimeoutMs ?? 35_000);
		await slot.exited;
		clearTimeout(kill);
	}

	async startService(name: string): Promise<ServiceStatus[]> {
		// Else it would answer "stopped", and the caller take that for a service that would not start.
		if (this.closing) throw new Error('the supervisor is stopping: start it again once it has (`saccos-queue services start`)');
		const slots = this.pick(name);
		for (const slot of slots) {
			slot.wanted = true;
			if (!slot.child && !slot.timer) {
				// Asked again by hand: a fresh start, as `systemctl start` after a StartLimit.
				slot.backoffMs = 1000;
				slot.launches = [];
				this.launch(slot);
			}
		}
		return this.status().filter(status => slots.some(slot => slot.definition.name === status.name));
	}

	async restart(name: string): Promise<ServiceStatus[]> {
		await this.stop(name);
		return this.startService(name);
	}

	/** Stops every child, and gives the folder up. */
	async shutdown(): Promise<void> {
		this.closing = true;
		await Promise.all([...this.slots.values()].map(async slot => this.stopSlot(slot)));
		for (const slot of this.slots.values()) slot.log.close();
		this.release();
		// A client that connected and never asked (a hung console) must not keep a stopped supervisor
		// running; one being answered gets a moment to take its answer.
		for (const connection of this.idle) connection.destroy();
		await atMost(Promise.all(this.answering), 2000);
	}

	/**
	 * `services stop all`: every service stopped, then the socket, supervisor.json and the lock given up
	 * before the answer, so that a `services start` right after it starts a new supervisor rather than
	 * ask this one, which is ending, or be refused by its lock.
	 */
	private async stopEverything(): Promise<ServiceStatus[]> {
		this.closing = true;
		const stopped = await this.stop('all');
		this.release();
		return stopped;
	}

	private released = false;

	private release(): void {
		if (this.released) return;
		this.released = true;
		// Closing a listening Unix socket unlinks it (libuv) at once; the connections it has go on.
		this.server?.close();
		rmSync(socketPath(this.options.dir), {force: true});
		rmSync(path.join(this.options.dir, 'supervisor.json'), {force: true});
		this.unlock();
	}

	private get lockFile(): string {
		return path.join(this.options.dir, 'supervisor.lock');
	}

	/** Takes supervisor.lock (see pid-lock.ts): a crashed supervisor's is taken over; of two starting at once, one wins. */
	private async lock(): Promise<void> {
		const outcome = await takeLock(this.lockFile);
		if (!outcome.taken) throw new Error(`a supervisor (pid ${outcome.holder}) is already running or starting in ${this.options.dir}`);
	}

	private unlock(): void {
		try {
			releaseLock(this.lockFile);
		} catch {
			// the folder is gone: nothing to give up
		}
	}

	/** Connections that have not asked anything yet, and those being answered. */
	private readonly idle = new Set<net.Socket>();
	private readonly answering = new Set<Promise<void>>();

	private serve(connection: net.Socket): void {
		// A client that hangs up early (ECONNRESET, EPIPE) must not take the supervisor down.
		connection.on('error', () => connection.destroy());
		this.idle.add(connection);
		const closed = new Promise<void>(resolve => connection.once('close', () => resolve()));
		void closed.then(() => this.idle.delete(connection));
		const lines = createInterface({input: connection});
		lines.on('error', () => connection.destroy());
		lines.once('line', line => {
			this.idle.delete(connection);
			this.answering.add(closed);
			void closed.then(() => this.answering.delete(closed));
			void (async () => {
				try {
					const request = JSON.parse(line) as {cmd: string; name?: string};
					const name = request.name ?? 'all';
					const result =
						request.cmd === 'status' ? this.status()
						: request.cmd === 'start' ? await this.startService(name)
						: request.cmd === 'stop' ? await this.stop(name)
						: request.cmd === 'restart' ? await this.restart(name)
						: request.cmd === 'shutdown' ? await this.stopEverything()
						: undefined;
					if (result === undefined) throw new Error(`unknown command "${request.cmd}"`);
					connection.end(`${JSON.stringify({ok: true, result})}\n`);
					if (request.cmd === 'shutdown') this.options.onShutdown?.();
				} catch (error) {
					connection.end(`${JSON.stringify({ok: false, error: (error as Error).message})}\n`);
				}
			})();
		});
	}
}

/** Whether something answers on a Unix socket. */
export async function isListening(socket: string): Promise<boolean> {
	return new Promise(resolve => {
		const probe = net.connect(socket);
		probe.once('connect', () => {
			probe.destroy();
			resolve(true);
		});
		probe.on('error', () => resolve(false));
	});
}

/** Sends one request to a running supervisor and returns its answer. */
export async function askSupervisor(dir: string, request: {cmd: 'status' | 'start' | 'stop' | 'restart' | 'shutdown'; name?: string}, timeoutMs = 60_000): Promise<ServiceStatus[]> {
	return new Promise((resolve, reject) => {
		const socket = net.connect(socketPath(dir));
		// No answer at all carries a code (as socket errors do); the supervisor's own refusal does not.
		const noAnswer = (why: string) => Object.assign(new Error(why), {code: 'ENOANSWER'});
		const timer = setTimeout(() => {
			socket.destroy();
			reject(noAnswer('the supervisor did not answer in time'));
		}, timeoutMs);
		// 'on', not 'once': a peer that hangs up can raise more than one (ECONNRESET, then EPIPE).
		socket.on('error', error => {
			clearTimeout(timer);
			reject(error);
		});
		socket.once('close', () => {
			clearTimeout(timer);
			reject(noAnswer('the supervisor closed the connection without an answer'));
		});
		socket.once('connect', () => socket.write(`${JSON.stringify(request)}\n`));
		const lines = createInterface({input: socket});
		lines.on('error', error => {
			clearTimeout(timer);
			reject(error);
		});
		lines.once('line', line => {
			clearTimeout(timer);
			socket.destroy();
			const answer = JSON.parse(line) as {ok: boolean; result?: ServiceStatus[]; error?: string};
			if (answer.ok) resolve(answer.result ?? []);
			else reject(new Error(answer.error ?? 'supervisor error'));
		});
	});
}
