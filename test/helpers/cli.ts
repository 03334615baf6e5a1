/**
 * Runs the real built binary (`node bin/saccos-queue.js …`) as a user or a
 * script would: no shell, stdout piped (so not a terminal), a clean
 * environment (no REDIS_URL, no config from the machine), a hard timeout.
 */
import {spawn} from 'node:child_process';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const binary = path.join(root, 'bin', 'saccos-queue.js');

export type CliResult = {
	code: number | null;
	signal: NodeJS.Signals | null;
	stdout: string;
	stderr: string;
	/** Raw bytes, for byte-level assertions. */
	stdoutBytes: Buffer;
	stderrBytes: Buffer;
	ms: number;
};

export type CliOptions = {
	env?: Record<string, string | undefined>;
	timeoutMs?: number;
	/** Working directory (default: a private empty directory, so no ./saccos-queue.config.* is found). */
	cwd?: string;
};

let scratch: string | undefined;

/** A private scratch directory for config files, removed at exit. */
export function scratchDir(): string {
	if (!scratch) {
		scratch = mkdtempSync(path.join(process.env['SACCOS_TEST_TMPDIR'] || os.tmpdir(), 'saccos-cli-'));
		const dir = scratch;
		process.on('exit', () => rmSync(dir, {recursive: true, force: true}));
	}
	return scratch;
}

/** Writes a config file into the scratch directory and returns its path. */
export function writeConfig(name: string, content: unknown): string {
	const file = path.join(scratchDir(), name);
	writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
	return file;
}

/** The environment the binary sees: the test's, minus anything that would point it elsewhere. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = {...process.env};
	for (const name of ['REDIS_URL', 'REDIS_PASSWORD', 'REDIS_TLS_CA', 'REDIS_TLS_CERT', 'REDIS_TLS_KEY', 'REDIS_TLS_SERVERNAME', 'SACCOS_QUEUE_REDIS_TIMEOUT', 'SACCOS_QUEUE_CONFIG', 'SACCOS_QUEUE_PREFIX', 'SACCOS_QUEUE_READ_ONLY', 'NO_COLOR', 'FORCE_COLOR', 'NODE_TEST_CONTEXT', 'NODE_OPTIONS']) {
		delete env[name];
	}
	for (const [name, value] of Object.entries(extra)) {
		if (value === undefined) delete env[name];
		else env[name] = value;
	}
	return env;
}

/**
 * Unless the arguments name a config file, an empty one is passed, so that
 * a /etc/saccos-queue/config.* on the machine cannot change what is tested.
 */
let emptyConfig: string | undefined;
function withIsolatedConfig(args: readonly string[]): string[] {
	if (args.includes('--config')) return [...args];
	// Written once: rewriting it per call let a concurrent child read it half-written.
	emptyConfig ??= writeConfig('empty.json', {});
	return [...args, '--config', emptyConfig];
}

/** Starts the binary; the caller owns the child (for streams such as `events`). */
export function spawnCli(args: readonly string[], options: CliOptions = {}) {
	return spawn(process.execPath, [binary, ...withIsolatedConfig(args)], {
		cwd: options.cwd ?? scratchDir(),
		env: cleanEnv(options.env),
		stdio: ['ignore', 'pipe', 'pipe'],
	});
}

/** Runs the binary to completion (killed with SIGKILL after timeoutMs). */
export async function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
	const started = performance.now();
	const child = spawnCli(args, options);
	return collect(child, options.timeoutMs ?? 20_000, started);
}

/** A one-line description of a result, for assertion messages. */
export const describeResult = (result: CliResult): string =>
	`exit ${String(result.code)}${result.signal ? ` (${result.signal})` : ''}\nstdout: ${result.stdout.slice(0, 2000)}\nstderr: ${result.stderr.slice(0, 2000)}`;

/** Parses stdout as exactly one JSON document. */
export function parseJson<T = any>(result: CliResult): T { // eslint-disable-line @typescript-eslint/no-explicit-any
	try {
		return JSON.parse(result.stdout) as T;
	} catch (error) {
		throw new Error(`stdout is not one JSON document (${(error as Error).message})\n${describeResult(result)}`, {cause: error});
	}
}

/*
 * A pseudo-terminal for colour tests, without a shell: a few lines of
 * Python's pty module run the binary with stdout/stderr on the pty and copy
 * what it wrote to our stdout. undefined when python3 is not installed.
 */
const PTY_RUNNER = `
import os, pty, subprocess, sys
master, slave = pty.openpty()
child = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, close_fds=True)
os.close(slave)
chunks = []
while True:
    try:
        data = os.read(master, 65536)
    except OSError:
        break
    if not data:
        break
    chunks.append(data)
child.wait()
sys.stdout.buffer.write(b"".join(chunks))
sys.exit(child.returncode)
`;

let python: string | null | undefined;

async function findPython(): Promise<string | null> {
	if (python !== undefined) return python;
	const probe = spawn('python3', ['-c', 'import pty'], {stdio: 'ignore'});
	python = await new Promise<string | null>(resolve => {
		probe.once('error', () => resolve(null));
		probe.once('close', code => resolve(code === 0 ? 'python3' : null));
	});
	return python;
}

/** Runs the binary with its stdout and stderr on a pseudo-terminal; undefined when no pty can be had. */
export async function runCliInPty(args: readonly string[], options: CliOptions = {}): Promise<CliResult | undefined> {
	const interpreter = await findPython();
	if (!interpreter) return undefined;
	const started = performance.now();
	const child = spawn(interpreter, ['-c', PTY_RUNNER, process.execPath, binary, ...withIsolatedConfig(args)], {
		cwd: options.cwd ?? scratchDir(),
		env: cleanEnv(options.env),
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	return collect(child, options.timeoutMs ?? 20_000, started);
}

/** A running child's output so far, as text (for tests that act while it runs). */
export function gatherOutput(child: {stdout: NodeJS.ReadableStream | null; stderr: NodeJS.ReadableStream | null}): {stdout(): string; stderr(): string} {
	let stdout = '';
	let stderr = '';
	child.stdout?.on('data', (chunk: Buffer) => {
		stdout += chunk.toString('utf8');
	});
	child.stderr?.on('data', (chunk: Buffer) => {
		stderr += chunk.toString('utf8');
	});
	return {stdout: () => stdout, stderr: () => stderr};
}

/** Gathers a child's output until it closes (SIGKILL after timeoutMs). */
async function collect(child: ReturnType<typeof spawn>, timeoutMs: number, started: number): Promise<CliResult> {
	const out: Buffer[] = [];
	const err: Buffer[] = [];
	child.stdout!.on('data', (chunk: Buffer) => out.push(chunk));
	child.stderr!.on('data', (chunk: Buffer) => err.push(chunk));
	const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
	const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
		child.once('error', reject);
		child.once('close', (exitCode, exitSignal) => resolve([exitCode, exitSignal]));
	});
	clearTimeout(timer);
	const stdoutBytes = Buffer.concat(out);
	const stderrBytes = Buffer.concat(err);
	return {code, signal, stdout: stdoutBytes.toString('utf8'), stderr: stderrBytes.toString('utf8'), stdoutBytes, stderrBytes, ms: performance.now() - started};
}
