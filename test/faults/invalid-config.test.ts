/**
 * Fault h: an invalid config file of every kind (issue 9, part 5), given to
 * every kind of command — reads, doctor, the long-running worker and
 * scheduler — with a reachable Redis, so that nothing can hide behind exit 3.
 *
 * Promise: every command exits 2 with one line naming the file and the field
 * (then a hint line): never 70, never a stack trace, never a worker that
 * starts and fails later. A case not true yet would be marked todo (and run
 * every command); none is today — the last three fixed were an invalid cron,
 * a Redis URL that does not parse, and a processor module that does not exist.
 */
import {after, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {randomUUID} from 'node:crypto';
import {spawnCli, writeConfig} from '../helpers/cli.js';
import {deletePrefix} from '../helpers/keyspace.js';
import {testRedisUrl} from '../helpers/redis-server.js';

const url = testRedisUrl();
const prefix = `test-fault-config-${randomUUID().slice(0, 8)}`;

/** `redis` false: the case is about the config's Redis URL, so no --redis flag may override it. */
type Case = {kind: string; name: string; content: unknown; field: RegExp; todo?: string; redis?: false};
const CASES: Case[] = [
	{kind: 'bad JSON', name: 'bad.json', content: '{"queues": {"high": {"timeout": 90}', field: /not valid JSON/},
	{kind: 'bad YAML', name: 'bad.yaml', content: 'queues:\n  high: [timeout: 90\n', field: /not valid YAML/},
	{kind: 'unknown key', name: 'unknown.json', content: {queues: {high: {timout: 90}}}, field: /"queues\.high\.timout"/},
	{kind: 'wrong type', name: 'type.json', content: {readOnly: 'yes'}, field: /"readOnly"/},
	{kind: 'queue timeout -1', name: 'timeout.json', content: {queues: {high: {timeout: -1}}}, field: /"queues\.high\.timeout"/},
	{kind: 'URL without a scheme', name: 'scheme.json', content: {redis: 'localhost:6379'}, field: /"redis"/, redis: false},
	{kind: 'URL that does not parse', name: 'url.json', content: {redis: 'redis://127.0.0.1:notaport'}, field: /"redis"/, redis: false},
	{kind: 'cron "* * *"', name: 'cron3.json', content: {schedules: [{id: 'reports:daily', cron: '* * *', queue: 'default'}]}, field: /"schedules\.0\.cron"/},
	{kind: 'cron "61 * * * *"', name: 'cron61.json', content: {schedules: [{id: 'reports:daily', cron: '61 * * * *', queue: 'default'}]}, field: /"schedules\.0\.cron"/},
	{kind: 'processor path that does not exist', name: 'processor.json', content: {processors: {'reports:daily': './jobs/no-such-file.js'}}, field: /"processors\.reports:daily"/},
];

/**
 * Reads, a write, and the long-running processes (which must refuse the config before they start).
 * Every command loads the config in one place (source/cli.ts) before it runs, so for what that
 * loader refuses two commands stand for all (a read and the worker); where a check comes later
 * (todo cases) each kind of command runs, since each may meet the fault its own way.
 */
const COMMANDS: string[][] = [['status'], ['doctor'], ['schedule', 'list'], ['worker', '--queue', 'high'], ['scheduler']];
const LOADER_COMMANDS: string[][] = [['status'], ['worker', '--queue', 'high']];
/** A long-running process that got this far accepted the config: no need to wait for its deadline. */
const STARTED = /"msg":"(worker started|scheduler started|schedules synced|schedule sync failed; will retry)"/;
/** Only a hang meets it: an idle 2-core machine runs five of these at once in 2 s, a loaded one has taken 20. */
const DEADLINE_MS = 60_000;

type Outcome = {code: number | null; signal: NodeJS.Signals | null; stderr: string; stdout: string; started: boolean};

/** Runs a command until it exits, says it started (a long-running one), or the deadline passes. */
async function run(args: string[], config: string, redis: boolean): Promise<Outcome> {
	const child = spawnCli([...args, '--config', config, ...(redis ? ['--redis', url] : []), '--prefix', prefix]);
	let stdout = '';
	let stderr = '';
	let started = false;
	child.stdout.on('data', (chunk: Buffer) => {
		stdout += chunk.toString('utf8');
		if (!started && STARTED.test(stdout)) {
			started = true;
			child.kill('SIGKILL');
		}
	});
	child.stderr.on('data', (chunk: Buffer) => {
		stderr += chunk.toString('utf8');
	});
	const timer = setTimeout(() => child.kill('SIGKILL'), DEADLINE_MS);
	const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>(resolve => child.once('close', (exitCode, exitSignal) => resolve([exitCode, exitSignal])));
	clearTimeout(timer);
	return {code, signal, stderr, stdout, started};
}

describe('fault: invalid config files', () => {
	after(async () => {
		await deletePrefix(url, prefix);
	});

	for (const entry of CASES) {
		it(`${entry.kind}: every command exits 2 naming the file and the field`, entry.todo ? {todo: entry.todo} : {}, async () => {
			const file = writeConfig(`fault-${entry.name}`, entry.content);
			const commands = entry.todo ? COMMANDS : LOADER_COMMANDS;
			const outcomes = await Promise.all(commands.map(async args => ({args, outcome: await run(args, file, entry.redis !== false)})));
			const problems: string[] = [];
			for (const {args, outcome} of outcomes) {
				const lines = outcome.stderr.trimEnd().split('\n');
				const what = `${args[0]!}: exit ${String(outcome.code ?? outcome.signal)}${outcome.started ? ' (started)' : ''}, stderr ${JSON.stringify(outcome.stderr.slice(0, 300))}`;
				if (outcome.code !== 2) problems.push(what);
				else if (lines.length > 2 || !lines[0]!.includes(file) || !entry.field.test(lines[0]!) || (lines[1] !== undefined && !lines[1].startsWith('  hint:'))) problems.push(`${what}: not one line naming ${file} and ${String(entry.field)}`);
				else if (/^\s+at /m.test(outcome.stderr + outcome.stdout)) problems.push(`${what}: a stack trace`);
			}
			const codes = outcomes.map(({outcome}) => String(outcome.code ?? outcome.signal));
			console.log(`fault h (invalid config): ${entry.kind} → exits ${codes.join(',')} (${commands.map(args => args[0]).join(',')})`);
			assert.deepEqual(problems, [], `${entry.kind}:\n${problems.join('\n')}`);
		});
	}
});
