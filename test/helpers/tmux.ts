/**
 * The real binary in a real terminal: a tmux server of its own running
 * `saccos-queue …args` in a 160×40 pane, with the process's pid (for its
 * memory and for signals) and its exit status. Waits are on what the screen
 * shows, never on time.
 */
import {spawnSync} from 'node:child_process';
import {randomUUID} from 'node:crypto';
import {readFileSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import {binary, cleanEnv} from './cli.js';
import {waitFor} from './keyspace.js';

const tmuxCheck = spawnSync('tmux', ['-V'], {encoding: 'utf8'});
/** Why tmux tests are skipped, or undefined when tmux is there. */
export const NO_TMUX = tmuxCheck.error || tmuxCheck.status !== 0 ? 'tmux is not installed (Debian/Ubuntu: apt-get install tmux)' : undefined;

export type Terminal = ReturnType<typeof terminal>;

export type TerminalOptions = {columns?: number; rows?: number; /** Printed before the console starts; the pane stays open after it ends (to read the screen it leaves). */ before?: string};

export function terminal(args: readonly string[], env: Record<string, string | undefined> = {}, options: TerminalOptions = {}) {
	const socket = `saccos-console-${randomUUID().slice(0, 8)}`;
	const status = path.join(os.tmpdir(), `${socket}.status`);
	// CI=true as a shell on a CI runner has it: the console must show itself live there too.
	// A UTF-8 locale unless the test says otherwise: the console draws ASCII stand-ins where there is none.
	const environment = cleanEnv({TERM: 'xterm-256color', CI: 'true', LANG: 'C.UTF-8', LC_ALL: undefined, LC_CTYPE: undefined, ...env});
	const tmux = (...rest: string[]) => spawnSync('tmux', ['-L', socket, ...rest], {encoding: 'utf8', env: environment});
	const command = [process.execPath, binary, ...args].map(word => `'${word}'`).join(' ');
	// The exit status is written to a file: the pane closes with the process.
	const script = options.before === undefined ? `${command}; echo $? > '${status}'` : `printf '%s\\n' '${options.before}'; ${command}; echo $? > '${status}'; read _`;
	const created = tmux('new-session', '-d', '-x', String(options.columns ?? 160), '-y', String(options.rows ?? 40), '-s', 'console', script);
	assert.equal(created.status, 0, created.stderr);
	const screen = () => tmux('capture-pane', '-p', '-t', 'console').stdout;
	/** The screen with its styling escapes (colour, bold, inverse) as tmux keeps them. */
	const styled = () => tmux('capture-pane', '-p', '-e', '-t', 'console').stdout;
	const panePid = Number(tmux('display-message', '-p', '-t', 'console', '#{pane_pid}').stdout.trim());
	const childrenOf = (pid: number): number[] => {
		const found = spawnSync('pgrep', ['-P', String(pid)], {encoding: 'utf8'}).stdout.trim();
		return found ? found.split('\n').map(Number) : [];
	};
	return {
		screen,
		styled,
		/** Waits until `check` holds for the screen; a timeout shows the last screen. */
		until: async (check: (text: string) => boolean, what: string, timeoutMs?: number) => {
			let last = '';
			await waitFor(() => check(last = screen()), () => `${what}; the screen was:\n${last}`, timeoutMs);
		},
		/** Resizes the pane's window, as a terminal window dragged to a new size. */
		resize: (columns: number, rows: number) => assert.equal(tmux('resize-window', '-t', 'console', '-x', String(columns), '-y', String(rows)).status, 0),
		keys: (...keys: string[]) => assert.equal(tmux('send-keys', '-t', 'console', ...keys).status, 0),
		type: (text: string) => assert.equal(tmux('send-keys', '-t', 'console', '-l', text).status, 0),
		/** The pid of saccos-queue itself (the pane's shell runs it as a child). */
		pid: async () => waitFor(() => childrenOf(panePid)[0], 'the console process to start'),
		/** The children of a process (the pager of the console). */
		childrenOf,
		/** {code} once the process has exited (an object: exit code 0 is falsy for waitFor). */
		exited: () => {
			try {
				const text = readFileSync(status, 'utf8').trim();
				return text ? {code: Number(text)} : undefined;
			} catch {
				return undefined;
			}
		},
		close: () => {
			tmux('kill-server');
			rmSync(status, {force: true});
			rmSync(path.join(process.env['TMUX_TMPDIR'] || '/tmp', `tmux-${process.getuid!()}`, socket), {force: true});
		},
	};
}

/** Resident memory of a process in MB (VmRSS), or NaN once it is gone. */
export function rssMb(pid: number): number {
	try {
		return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
	} catch {
		return Number.NaN;
	}
}

/** Whether a process is still there. */
export function alive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
}
