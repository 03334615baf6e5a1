/**
 * The console's views under ink-testing-library: the real App over a
 * ConsoleApi that serves fixed snapshots (the views' input is plain data,
 * docs/ARCHITECTURE.md, "A refresh, end to end") and records every call, so a test can say "the operator
 * pressed R, typed the queue name, and retryAll('emails') was called".
 * Keys are sent by the keymap's action names; frames are ANSI-stripped.
 * The data layer behind the real ConsoleApi is tested against Redis elsewhere
 * (test/tui/console-e2e.test.ts drives the real binary in tmux).
 */
import {render} from 'ink-testing-library';
import {stripVTControlCharacters} from 'node:util';
import type {Snapshot} from '../../source/common/types.js';
import type {ActionId, Scope} from '../../source/keymap/commands.js';
import {keymap} from '../../source/keymap/commands.js';
import type {ConsoleApi} from '../../source/store/console-api.js';
import {App} from '../../source/tui/app.js';
import type {Route} from '../../source/tui/ui-context.js';

/** The bytes a terminal sends for a key name of the keymap. */
const SEQUENCES: Record<string, string> = {
	up: '\u001B[A',
	down: '\u001B[B',
	right: '\u001B[C',
	left: '\u001B[D',
	enter: '\r',
	escape: '\u001B',
	tab: '\t',
	'shift-tab': '\u001B[Z',
	space: ' ',
	backspace: '\u007F',
	pageup: '\u001B[5~',
	pagedown: '\u001B[6~',
	home: '\u001B[H',
	end: '\u001B[F',
};

export const sequenceOf = (name: string): string => SEQUENCES[name] ?? (name.startsWith('ctrl-') ? String.fromCharCode(name.charCodeAt(5) - 96) : name);

export type Call = {method: keyof ConsoleApi; args: unknown[]};

/** A ConsoleApi over fixed data: `overrides` replace methods; every call is recorded in `calls`. */
export function fixtureApi(overrides: Partial<ConsoleApi> = {}): ConsoleApi & {calls: Call[]} {
	const calls: Call[] = [];
	const unexpected = (method: string) => async () => {
		throw new Error(`fixture: ${method} was not expected in this test`);
	};
	const base: ConsoleApi = {
		readOnly: false,
		where: 'redis://127.0.0.1:6379',
		prefix: 'bull',
		timezone: 'UTC',
		refreshMs: 2000,
		snapshot: unexpected('snapshot'),
		queueNames: async () => [],
		minuteSeries: async () => [],
		queueMetrics: unexpected('queueMetrics'),
		jobs: unexpected('jobs'),
		searchJobs: unexpected('searchJobs'),
		job: unexpected('job'),
		pager: 'less',
		pageJob: unexpected('pageJob'),
		retry: unexpected('retry'),
		retryAll: unexpected('retryAll'),
		remove: unexpected('remove'),
		flushFailed: unexpected('flushFailed'),
		setPaused: unexpected('setPaused'),
		workers: unexpected('workers'),
		controlWorker: unexpected('controlWorker'),
		schedules: unexpected('schedules'),
		runSchedule: unexpected('runSchedule'),
		services: unexpected('services'),
		serviceAction: unexpected('serviceAction'),
		logs: unexpected('logs'),
		jobLogs: unexpected('jobLogs'),
		events: unexpected('events'),
		...overrides,
	};
	const recorded = {calls} as ConsoleApi & {calls: Call[]};
	for (const [name, value] of Object.entries(base)) {
		(recorded as Record<string, unknown>)[name] = typeof value === 'function'
			? (...args: unknown[]) => {
				calls.push({method: name as keyof ConsoleApi, args});
				return (value as (...rest: unknown[]) => unknown)(...args);
			}
			: value;
	}
	return recorded;
}

const counts = (failed: number, waiting = 0) => ({waiting, active: 0, delayed: 0, prioritized: 0, 'waiting-children': 0, completed: 10, failed});

/** A snapshot of the given queues (10 completed each; failed, waiting and paused as given), no workers or schedules. */
export function snapshotOf(queues: Array<{name: string; failed?: number; waiting?: number; paused?: boolean}>): Snapshot {
	return {
		redis: {url: 'redis://127.0.0.1:6379', mode: 'standalone', version: '7.0.15', usedMemory: 1_200_000, maxMemory: 0, evictionPolicy: 'noeviction', nodes: 1, uptimeSeconds: 100, connectedClients: 3, persistence: {aof: false, rdb: false}, latencyMs: 2},
		queues: queues.map(queue => ({
			name: queue.name,
			paused: queue.paused ?? false,
			counts: counts(queue.failed ?? 0, queue.waiting ?? 0),
			workers: 1,
			threshold: 100,
			size: queue.waiting ?? 0,
			overThreshold: false,
			exists: true,
			oldestWaitMs: null,
		})),
		workers: [],
		schedules: [],
		generatedAt: Date.now(),
	} as unknown as Snapshot;
}

export type ConsoleHarness = {
	/** The last frame, ANSI-stripped. */
	frame(): string;
	/** The last frame as written to the terminal (Ink's own styling escapes included): for "no raw hostile bytes" checks. */
	rawFrame(): string;
	/** Sends the first key the keymap binds to `action` in `scope` (or a global one). */
	press(action: ActionId, scope: Scope): Promise<void>;
	/** Sends a key by name ("down", "enter", "R", "ctrl-c"…). */
	key(name: string): Promise<void>;
	/** Types text (a prompt's answer). */
	type(text: string): Promise<void>;
	/** Sends keys one write each, back to back with no turn of the event loop between (a fast typist, a script). */
	burst(...names: string[]): Promise<void>;
	/** Waits until the frame satisfies `check` (2 s by default); fails with the last frame. */
	waitFor(check: (frame: string) => boolean, what: string, timeoutMs?: number): Promise<string>;
	/** Waits until the console has quit (Ink let go of stdin); fails with the last frame. */
	waitForExit(what: string, timeoutMs?: number): Promise<void>;
	unmount(): void;
};

const tick = async () => new Promise(resolve => setImmediate(resolve));

/** How long a key may take to show its frame before the harness says so. */
const FRAME_DEADLINE_MS = 2000;

export async function renderConsole(api: ConsoleApi, initial: Route = {view: 'queues'}, size: {columns: number; rows: number} = {columns: 140, rows: 30}): Promise<ConsoleHarness> {
	const instance = render(<App api={api} initial={initial} />);
	// ink-testing-library's stdout is 100 columns and has no rows: give it a terminal's size.
	Object.defineProperty(instance.stdout, 'columns', {value: size.columns, configurable: true});
	Object.defineProperty(instance.stdout, 'rows', {value: size.rows, configurable: true});
	instance.stdout.emit('resize');
	const frame = () => stripVTControlCharacters(instance.lastFrame() ?? '');
	/**
	 * Writes keys and waits for the frames they bring: the app renders once per key it handled
	 * (use-key-queue.ts forces a turn even for a key that changed nothing), and Ink under the
	 * testing library writes every render as a frame. So once `keys` more frames are out, each
	 * key has been handled and what it did is drawn: an assertion of absence after this reads a
	 * frame drawn after the key, not one from before it.
	 */
	const send = async (bytes: readonly string[], keys = bytes.length) => {
		const before = instance.frames.length;
		for (const chunk of bytes) instance.stdin.write(chunk);
		const deadline = Date.now() + FRAME_DEADLINE_MS;
		while (instance.frames.length < before + keys) {
			if (Date.now() > deadline) throw new Error(`no frame after ${JSON.stringify(bytes)} within ${FRAME_DEADLINE_MS} ms; last frame:\n${frame()}`);
			await tick();
		}
	};
	await tick();
	return {
		frame,
		rawFrame: () => instance.lastFrame() ?? '',
		async press(action, scope) {
			const binding = keymap.find(entry => entry.id === action && entry.scope === scope) ?? keymap.find(entry => entry.id === action && entry.scope === 'global');
			if (!binding) throw new Error(`no key for ${action} in ${scope}`);
			await send([sequenceOf(binding.keys[0]!)]);
		},
		key: async name => send([sequenceOf(name)]),
		burst: async (...names) => send(names.map(sequenceOf)),
		async type(text) {
			for (const char of text) await send([char]);
		},
		async waitFor(check, what, timeoutMs = 2000) {
			const deadline = Date.now() + timeoutMs;
			for (;;) {
				const current = frame();
				if (check(current)) return current;
				if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last frame:\n${current}`);
				await new Promise(resolve => setTimeout(resolve, 10));
			}
		},
		async waitForExit(what, timeoutMs = 2000) {
			// Ink reads keys through a 'readable' listener while it runs, and removes it when the app exits.
			const deadline = Date.now() + timeoutMs;
			while (instance.stdin.listenerCount('readable') > 0) {
				if (Date.now() > deadline) throw new Error(`the console did not quit: ${what}; last frame:\n${frame()}`);
				await new Promise(resolve => setTimeout(resolve, 10));
			}
		},
		unmount: () => instance.unmount(),
	};
}
