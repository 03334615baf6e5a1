/**
 * Options for every command before the command, as in git and kubectl
 * (source/argv.ts): the real binary, against real BullMQ queues, gives the
 * same answer whichever side of the command name they are on; a value that
 * looks like a command stays a value; an unknown leading option is a one-line
 * usage error with a hint.
 */
import {after, before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {randomUUID} from 'node:crypto';
import {Queue} from 'bullmq';
import {Redis} from 'ioredis';
import {describeResult, parseJson, runCli, writeConfig, type CliResult} from '../helpers/cli.js';
import {deletePrefix} from '../helpers/keyspace.js';
import {testRedisUrl} from '../helpers/redis-server.js';

const WAITING = 3;

describe('options for every command before the command', () => {
	const url = testRedisUrl();
	const prefix = `test-${randomUUID()}`;
	let connection: Redis;
	let queue: Queue;
	let config: string;

	before(async () => {
		connection = new Redis(url, {maxRetriesPerRequest: null});
		queue = new Queue('high', {connection, prefix});
		await queue.addBulk(Array.from({length: WAITING}, (_, index) => ({name: 'tiny', data: {index}})));
		config = writeConfig(`prefixed-${randomUUID()}.json`, {redis: url, prefix});
	});

	after(async () => {
		await queue?.close();
		await connection?.quit();
		await deletePrefix(url, prefix);
	});

	const exit = (result: CliResult, code: number, what: string) => assert.equal(result.code, code, `${what}: ${describeResult(result)}`);
	/** The waiting count of `high` in a `status --json` answer. */
	/** The queues of a `status --json` answer without what moves with the clock (the oldest job's age). */
	const queuesOf = (result: CliResult): unknown[] => (parseJson(result).queues as Array<Record<string, unknown>>).map(({oldestWaitMs: _age, ...rest}) => rest);
	const waitingOf = (result: CliResult): number => (parseJson(result).queues as Array<{name: string; counts: {waiting: number}}>).find(entry => entry.name === 'high')!.counts.waiting;

	it('--config X status reads the file, as `status --config X` does', async () => {
		const leading = await runCli(['--config', config, 'status', '--json']);
		const trailing = await runCli(['status', '--json', '--config', config]);
		exit(leading, 0, '--config X status');
		exit(trailing, 0, 'status --config X');
		assert.equal(waitingOf(leading), WAITING);
		assert.deepEqual(queuesOf(leading), queuesOf(trailing));
	});

	it('--redis URL --prefix P --json status, and the --flag=value forms, answer like the flags after the command', async () => {
		const trailing = await runCli(['status', '--redis', url, '--prefix', prefix, '--json']);
		exit(trailing, 0, 'status --redis --prefix --json');
		for (const args of [['--redis', url, '--prefix', prefix, '--json', 'status'], [`--redis=${url}`, `--prefix=${prefix}`, '--json', 'status']]) {
			const leading = await runCli(args);
			exit(leading, 0, args.join(' '));
			assert.equal(waitingOf(leading), WAITING, args.join(' '));
			assert.deepEqual(queuesOf(leading), queuesOf(trailing), args.join(' '));
		}
	});

	it('a value that names a command is the value: --config status.json status', async () => {
		writeConfig('status.json', {redis: url, prefix});
		// runCli's working directory is the scratch directory the file is in.
		const result = await runCli(['--config', 'status.json', 'status', '--json']);
		exit(result, 0, '--config status.json status');
		assert.equal(waitingOf(result), WAITING);
	});

	it('an option given on both sides: the one after the command wins', async () => {
		const result = await runCli(['--prefix', `elsewhere-${randomUUID()}`, 'status', '--redis', url, '--prefix', prefix, '--json']);
		exit(result, 0, 'two prefixes');
		assert.equal(waitingOf(result), WAITING);
	});

	it('--read-only before the command refuses a write (exit 6), as after it', async () => {
		for (const args of [['--read-only', 'pause', 'high', '--yes'], ['pause', 'high', '--yes', '--read-only']]) {
			const result = await runCli([...args, '--redis', url, '--prefix', prefix]);
			exit(result, 6, args.join(' '));
		}
		assert.equal(await queue.isPaused(), false, 'nothing was paused');
		// The console itself needs a terminal; it is reached, not taken for an unknown command.
		const console = await runCli(['--read-only', 'console', '--redis', url, '--prefix', prefix]);
		exit(console, 2, '--read-only console');
		assert.match(console.stderr, /the console needs a terminal/, describeResult(console));
	});

	it('--help, --version and help before a command keep working', async () => {
		const help = await runCli(['--help', 'status']);
		exit(help, 0, '--help status');
		assert.match(help.stdout, /Usage:\n {2}saccos-queue status/, 'the help of status');
		const general = await runCli(['--redis', url, '--help']);
		exit(general, 0, '--redis URL --help');
		assert.match(general.stdout, /^Usage: saccos-queue <command>/m);
		const version = await runCli(['--config', config, '--version']);
		exit(version, 0, '--config X --version');
		assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
		const topic = await runCli(['--config', config, 'help', 'queues']);
		exit(topic, 0, '--config X help queues');
		assert.match(topic.stdout, /Usage:\n {2}saccos-queue queues/);
	});

	it('an unknown option before the command: one line, a hint, exit 2, no stack, no secret', async () => {
		const cases: Array<[string[], RegExp]> = [
			[['--frobnicate=redis://:s3cret-pw@10.0.0.5:6379', 'status'], /^saccos-queue: unknown option "--frobnicate" before the command\n {2}hint: .*saccos-queue <command> --frobnicate/],
			// A command's own option put before it.
			[['--follow', 'logs'], /^saccos-queue: unknown option "--follow" before the command\n {2}hint: /],
			[['--config'], /^saccos-queue: option "--config" needs a value\n {2}hint: /],
		];
		for (const [args, expected] of cases) {
			const result = await runCli(args);
			exit(result, 2, args.join(' '));
			assert.match(result.stderr, expected, describeResult(result));
			assert.equal(result.stderr.split('\n').filter(Boolean).length, 2, `one line and a hint: ${result.stderr}`);
			assert.doesNotMatch(result.stderr, /s3cret|\n\s+at /, 'no secret, no stack trace');
			assert.equal(result.stdout, '');
		}
		const json = await runCli(['--json', '--bogus', 'status']);
		exit(json, 2, '--json --bogus status');
		const {error} = parseJson(json);
		assert.equal(error.code, 'usage');
		assert.match(error.message, /unknown option "--bogus" before the command/);
		assert.ok(error.hint);
	});
});
