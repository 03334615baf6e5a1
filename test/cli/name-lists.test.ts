/**
 * Lists of names in a keyspace with many queues (real BullMQ queues): what a
 * command is asked for (`queues discover`) is a table, one queue a row, each
 * name once; names inside a sentence (an error, a note, a confirmation) are
 * the first few and how many more, so the sentence stays one readable line.
 */
import {after, before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {randomUUID} from 'node:crypto';
import {Queue} from 'bullmq';
import {Redis} from 'ioredis';
import {describeResult, gatherOutput, parseJson, runCli, spawnCli, type CliResult} from '../helpers/cli.js';
import {deletePrefix, waitFor, within} from '../helpers/keyspace.js';
import {testRedisUrl} from '../helpers/redis-server.js';
import {FAST, line, useSandboxes} from '../helpers/worker-process.js';

const COUNT = 40;
const NAMES = Array.from({length: COUNT}, (_, index) => `legacy-${String(index).padStart(3, '0')}`);
/** The seed's four configured queues are known too: the sentences name 4 + 40. */
const KNOWN = 4 + COUNT;

describe('lists of names with many queues', () => {
	const url = testRedisUrl();
	const prefix = `test-${randomUUID()}`;
	const cli = async (args: string[]) => runCli([...args, '--redis', url, '--prefix', prefix]);
	const exit = (result: CliResult, code: number, what: string) => assert.equal(result.code, code, `${what}: ${describeResult(result)}`);
	/** How many times `name` occurs as a whole word in `text`. */
	const occurrences = (text: string, name: string) => text.split(/[\s,]+/).filter(word => word === name).length;

	before(async () => {
		const connection = new Redis(url, {maxRetriesPerRequest: null});
		try {
			for (const name of NAMES) {
				const queue = new Queue(name, {connection, prefix});
				await queue.add('legacy', {});
				await queue.close();
			}
		} finally {
			await connection.quit();
		}
	});

	after(async () => {
		await deletePrefix(url, prefix);
	});

	it('queues discover: a table, one queue a row, each name once, and one summary; --json unchanged', async () => {
		const dry = await cli(['queues', 'discover', '--dry-run']);
		exit(dry, 0, 'queues discover --dry-run');
		const rows = dry.stdout.split('\n');
		assert.match(rows[0]!, /^QUEUE\s+STATUS$/);
		for (const name of NAMES) {
			assert.equal(occurrences(dry.stdout, name), 1, `${name} once:\n${dry.stdout}`);
			assert.ok(rows.some(row => new RegExp(`^${name}\\s+new, not recorded \\(--dry-run\\)$`).test(row)), `${name} on a row of its own:\n${dry.stdout}`);
		}
		assert.ok(rows.every(row => row.length < 200), 'no line of names');
		assert.match(dry.stdout, new RegExp(`\\n${COUNT} queue\\(s\\) under prefix "${prefix}" \\(\\d+ keys scanned\\): ${COUNT} new, not recorded \\(--dry-run\\)\\.\\n$`));

		const recorded = await cli(['queues', 'discover']);
		exit(recorded, 0, 'queues discover');
		for (const name of NAMES) assert.equal(occurrences(recorded.stdout, name), 1, `${name} once:\n${recorded.stdout}`);
		assert.match(recorded.stdout, new RegExp(`: ${COUNT} new, recorded\\.\\n$`));

		const again = await cli(['queues', 'discover']);
		exit(again, 0, 'queues discover again');
		assert.ok(NAMES.every(name => again.stdout.split('\n').some(row => new RegExp(`^${name}\\s+known$`).test(row))), again.stdout);
		assert.match(again.stdout, /: all of them already known\.\n$/);

		const json = parseJson(await cli(['queues', 'discover', '--json']));
		assert.deepEqual(Object.keys(json).sort(), ['added', 'dryRun', 'found', 'prefix', 'recorded', 'scannedKeys']);
		assert.deepEqual(json.found, NAMES);
	});

	it('names inside a sentence: an unknown queue\'s error, failed with none, events\' note, a confirmation', async () => {
		// The queues are recorded (by the previous test's discover, or here).
		exit(await cli(['queues', 'discover']), 0, 'queues discover');
		const more = `and ${KNOWN - 8} more`;
		const unknown = await cli(['jobs', 'no-such-queue']);
		exit(unknown, 2, 'jobs no-such-queue');
		assert.equal(unknown.stderr.split('\n').filter(Boolean).length, 2, `one line and a hint: ${unknown.stderr}`);
		assert.match(unknown.stderr, new RegExp(`known queues: high, default, emails, notifications, legacy-000, legacy-001, legacy-002, legacy-003 ${more}\\n`));
		assert.match(unknown.stderr, /hint: .*`saccos-queue queues` lists the known ones/);

		const failed = await cli(['failed']);
		exit(failed, 0, 'failed');
		assert.equal(failed.stdout, `No failed jobs in high, default, emails, notifications, legacy-000, legacy-001, legacy-002, legacy-003 ${more}.\n`);

		const refused = await cli(['retry', '--all']);
		exit(refused, 6, 'retry --all without a terminal or --yes');
		assert.match(refused.stderr, new RegExp(`Retry every failed job of high, .*, legacy-003 ${more}\\.`));
		assert.ok(refused.stderr.split('\n').every(row => row.length < 300), refused.stderr);

		const events = spawnCli(['events', '--redis', url, '--prefix', prefix]);
		const output = gatherOutput(events);
		const exited = new Promise<number | null>(resolve => events.once('close', code => resolve(code)));
		try {
			const note = await waitFor(() => output.stderr().split('\n').find(row => row.startsWith('Following events of')), 'events to say what it follows');
			assert.equal(note, `Following events of high, default, emails, notifications, legacy-000, legacy-001, legacy-002, legacy-003 ${more} — Ctrl-C to stop.`);
			events.kill('SIGINT');
			assert.equal(await within(exited, 10_000, 'events to stop on SIGINT'), 0);
		} finally {
			if (events.exitCode === null && events.signalCode === null) events.kill('SIGKILL');
		}
	});
});

describe('workers pause|resume|stop: the processes reached, a row each', () => {
	const open = useSandboxes(testRedisUrl());

	it('`workers pause emails` names each worker on a row of its own (ID, HOST), not on one line', async () => {
		const box = open('names');
		const config = box.writeConfig({queues: {emails: {timeout: 5}}});
		const workers = [box.worker(config, ['--queue', 'emails', ...FAST]), box.worker(config, ['--queue', 'emails', ...FAST])];
		await Promise.all(workers.map(async worker => worker.waitForLine(line.started, 'worker started')));
		const cli = async (args: string[]) => runCli([...args, '--redis', box.redisUrl, '--prefix', box.prefix]);
		// The control channel reaches registered workers only: wait for both records (each check spawns the CLI).
		const pids = new Set(workers.map(worker => worker.pid));
		const deadline = Date.now() + 10_000;
		let ids: Array<{id: string; host: string}> = [];
		while (ids.length < 2) {
			assert.ok(Date.now() < deadline, 'both workers registered within 10 s');
			ids = (parseJson(await cli(['workers', '--json'])).workers as Array<{id: string; host: string; pid: number}>).filter(entry => pids.has(entry.pid));
		}
		const paused = await cli(['workers', 'pause', 'emails']);
		exitOf(paused, 0, 'workers pause emails');
		const rows = paused.stdout.split('\n').filter(Boolean);
		assert.equal(rows[0], 'sent pause to 2 process(es):', paused.stdout);
		assert.match(rows[1]!, /^ID\s+HOST$/);
		for (const {id, host} of ids) assert.ok(rows.slice(2).some(row => row.split(/\s+/).join(' ') === `${id} ${host}`), `${id} on a row:\n${paused.stdout}`);
		assert.equal(rows.length, 4, paused.stdout);
		exitOf(await cli(['workers', 'resume', 'emails']), 0, 'workers resume emails');
	});
});

function exitOf(result: CliResult, code: number, what: string): void {
	assert.equal(result.code, code, `${what}: ${describeResult(result)}`);
}
