/**
 * Sets up the fake `systemctl`/`journalctl` (fake.mjs) for one test: a
 * scenario folder with the recordings of test/fixtures/systemd/ (unit names
 * adapted as scenario.json says, nothing else), the argv log, and the
 * environment to give the spawned binary (PATH first, then the fake's own
 * variables).
 */
import {appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

export const fakeBin = path.dirname(fileURLToPath(import.meta.url));
export const fixtures = path.resolve(fakeBin, '..', '..', 'fixtures', 'systemd');

type Source = {file: string; rename: Record<string, string>};
type Scenario = {show: Record<string, Source>; journal: Record<string, Source[]>};

export type Invocation = {tool: 'systemctl' | 'journalctl'; pid: number; argv?: string[]; env?: Record<string, string | null>; event?: string; signal?: string};

export type FakeSystemd = {
	dir: string;
	/** Environment for the spawned saccos-queue (merge into cleanEnv extras). */
	env: Record<string, string>;
	/** Every recorded invocation so far. */
	invocations(): Invocation[];
	/** Appends one recorded journal line for a unit, printed by a running `journalctl -f`. */
	appendFollow(unit: string, line: string): void;
};

/** A recording with its unit names adapted (the only change the fixtures README allows). */
export function adapted(source: Source): string {
	let text = readFileSync(path.join(fixtures, source.file), 'utf8');
	for (const [from, to] of Object.entries(source.rename)) text = text.replaceAll(from, to);
	return text;
}

export function scenario(): Scenario {
	return JSON.parse(readFileSync(path.join(fixtures, 'scenario.json'), 'utf8')) as Scenario;
}

/** Lays out the scenario under `dir` and returns the fake's environment. */
export function fakeSystemd(dir: string): FakeSystemd {
	const plan = scenario();
	mkdirSync(path.join(dir, 'show'), {recursive: true});
	mkdirSync(path.join(dir, 'journal'), {recursive: true});
	for (const [unit, source] of Object.entries(plan.show)) writeFileSync(path.join(dir, 'show', unit), adapted(source));
	for (const [unit, sources] of Object.entries(plan.journal)) {
		writeFileSync(path.join(dir, 'journal', `${unit}.jsonl`), sources.map(source => `${adapted(source).trim()}\n`).join(''));
	}
	writeFileSync(path.join(dir, 'version'), readFileSync(path.join(fixtures, 'systemctl-version.txt')));
	writeFileSync(path.join(dir, 'start-denied'), readFileSync(path.join(fixtures, 'systemctl-start', 'interactive-auth.txt')));
	for (const tool of ['systemctl', 'journalctl']) chmodSync(path.join(fakeBin, tool), 0o755);
	const log = path.join(dir, 'argv.ndjson');
	writeFileSync(log, '');
	return {
		dir,
		env: {
			PATH: `${fakeBin}${path.delimiter}${process.env['PATH'] ?? ''}`,
			FAKE_SYSTEMD_DIR: dir,
			FAKE_SYSTEMD_LOG: log,
			FAKE_SYSTEMD_NODE: process.execPath,
		},
		invocations: () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).map(line => JSON.parse(line) as Invocation) : []),
		appendFollow: (unit, line) => appendFileSync(path.join(dir, 'journal', `${unit}.follow`), `${line}\n`),
	};
}
