/**
 * The read commands through the real built binary, as an operator or a
 * script uses them, against queues another BullMQ application filled:
 * JSON shapes of the README with BullMQ's own numbers, exit codes, secrets
 * that never leak, and untrusted text that never reaches a terminal raw.
 */
import {after, before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {randomUUID} from 'node:crypto';
import {Queue} from 'bullmq';
import {Redis} from 'ioredis';
import {describeResult, parseJson, runCli, runCliInPty, spawnCli, writeConfig, type CliResult} from '../helpers/cli.js';
import {bullmqCounts, EVIL_NAME, EVIL_REASON, fillLikeAnotherApp, LOG_LINES, SEED_QUEUES, STATES, type FillResult, type State} from '../helpers/fill.js';
import {deletePrefix, waitFor} from '../helpers/keyspace.js';
import {freePort, startRedisServer, testRedisUrl, type RedisServer} from '../helpers/redis-server.js';

/** Raw bytes no human output may contain: C0 except LF, DEL and C1, and the bidi override. */
const UNSAFE_HUMAN = /[\x00-\x09\x0B-\x1F\x7F-\x9F\u202E]/u;  
/** What JSON.stringify leaves raw but a terminal acts on (C0 is escaped by JSON itself, checked too). */
const UNSAFE_JSON = /[\x00-\x09\x0B-\x1F\x7F-\x9F\u202E]/u;  

const firstUnsafe = (text: string, pattern: RegExp): string => {
	const match = pattern.exec(text);
	if (!match) return '';
	return `U+${match[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} near ${JSON.stringify(text.slice(Math.max(0, match.index - 30), match.index + 30))}`;
};

function assertInertHuman(result: CliResult, what: string): void {
	assert.doesNotMatch(result.stdout, UNSAFE_HUMAN, `${what}: raw control character on stdout: ${firstUnsafe(result.stdout, UNSAFE_HUMAN)}`);
	assert.doesNotMatch(result.stderr, UNSAFE_HUMAN, `${what}: raw control character on stderr: ${firstUnsafe(result.stderr, UNSAFE_HUMAN)}`);
}

function assertInertJson(result: CliResult, what: string): void {
	const body = result.stdout.replace(/\n$/, '');
	assert.doesNotMatch(body, UNSAFE_JSON, `${what}: raw control character in --json output: ${firstUnsafe(body, UNSAFE_JSON)}`);
	assert.doesNotThrow(() => JSON.parse(result.stdout), `${what}: --json output does not parse`);
}

function assertExit(result: CliResult, code: number, what: string): void {
	assert.equal(result.code, code, `${what}: ${describeResult(result)}`);
}

/** The contract's fields of a job in `jobs`/`failed --json`. */
const JOB_FIELDS = ['id', 'queue', 'name', 'state', 'attemptsMade', 'failedReason', 'timestamp', 'processedOn', 'finishedOn', 'data'];

function assertJobShape(job: Record<string, unknown>): void {
	for (const field of JOB_FIELDS) assert.ok(field in job, `job ${String(job['id'])} has no "${field}": ${JSON.stringify(job)}`);
	assert.equal(typeof job['id'], 'string');
	assert.equal(typeof job['attemptsMade'], 'number');
}

describe('read commands against queues another BullMQ application filled', () => {
	const url = testRedisUrl();
	const prefix = `test-${randomUUID()}`;
	let fill: FillResult;
	let connection: Redis;
	let queues: Map<string, Queue>;
	const cli = async (args: string[], env?: Record<string, string | undefined>) => runCli([...args, '--redis', url, '--prefix', prefix], env ? {env} : {});

	before(async () => {
		fill = await fillLikeAnotherApp(url, prefix);
		connection = new Redis(url, {maxRetriesPerRequest: null});
		// BullMQ's own view, opened after the fill, without touching the meta hash.
		queues = new Map(fill.queues.map(name => [name, new Queue(name, {connection, prefix, skipMetasUpdate: true})]));
	});

	after(async () => {
		await Promise.allSettled([...(queues?.values() ?? [])].map(async queue => queue.close()));
		await connection?.quit();
		await deletePrefix(url, prefix);
	});

	it('status --json has the contract\'s fields and BullMQ\'s counts', async () => {
		const result = await cli(['status', '--json']);
		assertExit(result, 0, 'status --json');
		const status = parseJson(result);
		for (const field of ['redis', 'queues', 'workers', 'schedules', 'generatedAt']) assert.ok(field in status, `no "${field}"`);
		for (const field of ['url', 'version', 'usedMemory', 'maxMemory', 'evictionPolicy']) assert.ok(field in status.redis, `no "redis.${field}"`);
		assert.equal(status.redis.url, url);
		assert.match(status.redis.version, /^\d+\.\d+/);
		assert.equal(typeof status.redis.usedMemory, 'number');
		assert.equal(typeof status.redis.maxMemory, 'number');
		assert.ok(Array.isArray(status.workers));
		assert.ok(Array.isArray(status.schedules));
		assert.ok(Number.isFinite(Date.parse(status.generatedAt)), `generatedAt ${status.generatedAt}`);
		assert.ok(Math.abs(Date.parse(status.generatedAt) - Date.now()) < 60_000);

		// The configured queues, in the seed's priority order; the extra one is not known yet.
		assert.deepEqual(status.queues.map((queue: {name: string}) => queue.name), [...SEED_QUEUES]);
		const bullmq = await bullmqCounts(url, prefix, SEED_QUEUES);
		for (const queue of status.queues) {
			for (const field of ['name', 'paused', 'counts', 'workers', 'threshold', 'size', 'overThreshold']) assert.ok(field in queue, `no "queues[].${field}" in ${queue.name}`);
			assert.deepEqual(Object.keys(queue.counts).sort(), [...STATES].sort(), `${queue.name}: the 7 states`);
			assert.deepEqual(queue.counts, bullmq[queue.name]!.counts, `${queue.name}: counts`);
			assert.equal(queue.paused, bullmq[queue.name]!.paused, `${queue.name}: paused`);
			const {waiting, prioritized, delayed, active} = queue.counts as Record<State, number>;
			assert.equal(queue.size, waiting + prioritized + delayed + active, `${queue.name}: size`);
			assert.equal(queue.workers, 0);
			assert.equal(queue.overThreshold, queue.size >= queue.threshold);
		}
		const byName = new Map(status.queues.map((queue: {name: string}) => [queue.name, queue]));
		assert.equal((byName.get(fill.pausedQueue) as {paused: boolean}).paused, true, 'the paused queue shows paused');
		assert.equal((byName.get('default') as {paused: boolean}).paused, false);
		assert.deepEqual(status.queues.map((queue: {threshold: number}) => queue.threshold), [50, 100, 100, 100]);
	});

	it('monitor (Laravel syntax) exits 1 at or over a threshold, 0 under, with size = waiting+prioritized+delayed+active', async () => {
		const counts = (await bullmqCounts(url, prefix, ['default', 'high']));
		const size = (queue: string) => {
			const {waiting, prioritized, delayed, active} = counts[queue]!.counts;
			return waiting + prioritized + delayed + active;
		};
		const sizeDefault = size('default');
		assert.equal(sizeDefault, 7, 'the fill puts 2 waiting, 2 prioritized, 2 delayed, 1 active in default');

		const over = await cli(['monitor', `default:${sizeDefault},high:50`, '--json']);
		assertExit(over, 1, 'monitor at threshold');
		const report = parseJson(over);
		assert.deepEqual(Object.keys(report).sort(), ['checks', 'ok', 'queues']);
		assert.equal(report.ok, false);
		assert.deepEqual(report.queues, [
			{name: 'default', size: sizeDefault, threshold: sizeDefault, ok: false},
			{name: 'high', size: size('high'), threshold: 50, ok: true},
		]);

		const under = await cli(['monitor', `default:${sizeDefault + 1}`, '--json']);
		assertExit(under, 0, 'monitor under threshold');
		const underReport = parseJson(under);
		assert.deepEqual({ok: underReport.ok, queues: underReport.queues}, {ok: true, queues: [{name: 'default', size: sizeDefault, threshold: sizeDefault + 1, ok: true}]});
		assert.deepEqual(underReport.checks.map((check: {queue: string; check: string; value: number; ok: boolean}) => [check.queue, check.check, check.value, check.ok]), [['default', 'size', sizeDefault, true]]);

		// Human form: the same exit codes, and the configured thresholds when none are given.
		assertExit(await cli(['monitor', `default:${sizeDefault - 1}`]), 1, 'monitor over threshold (human)');
		assertExit(await cli(['monitor']), 0, 'monitor with the seed thresholds');
	});

	it('jobs --state failed --json: the contract\'s page; the corrupt job has data null and a dataError, the rest loads', async () => {
		const result = await cli(['jobs', 'default', '--state', 'failed', '--json']);
		assertExit(result, 0, 'jobs --json');
		assertInertJson(result, 'jobs --json');
		const page = parseJson(result);
		const queue = queues.get('default')!;
		assert.equal(page.total, await queue.getFailedCount());
		assert.equal(page.jobs.length, fill.ids['default']!.failed.length);
		assert.deepEqual(page.jobs.map((job: {id: string}) => job.id).sort(), [...fill.ids['default']!.failed].sort());
		for (const job of page.jobs) {
			assertJobShape(job);
			assert.equal(job.queue, 'default');
			assert.equal(job.state, 'failed');
			if (job.id === fill.corrupt.id) {
				assert.equal(job.data, null, 'corrupt data is null');
				assert.equal(typeof job.dataError, 'string');
				assert.ok(job.dataError.length > 0);
				assert.equal(job.failedReason, 'statement template missing', 'the rest of the corrupt job still loads');
				continue;
			}
			const real = await queue.getJob(job.id);  
			assert.ok(real, `BullMQ has job ${job.id}`);
			assert.equal(job.name, real.name);
			assert.deepEqual(job.data, real.data);
			assert.equal(job.attemptsMade, real.attemptsMade);
			assert.equal(job.failedReason, real.failedReason);
			assert.equal(job.timestamp, real.timestamp);
			assert.equal(job.processedOn, real.processedOn);
			assert.equal(job.finishedOn, real.finishedOn);
			assert.equal(job.dataError, undefined);
		}
		const evil = page.jobs.find((job: {id: string}) => job.id === fill.evilReason.id);
		assert.equal(evil.failedReason, EVIL_REASON, 'the hostile reason round-trips exactly through --json');
	});

	it('failed --json lists the failed jobs of every known queue, newest first', async () => {
		const result = await cli(['failed', '--json']);
		assertExit(result, 0, 'failed --json');
		assertInertJson(result, 'failed --json');
		const page = parseJson(result);
		const known = new Set<string>(SEED_QUEUES);
		const expected = fill.failedNewestFirst.filter(ref => known.has(ref.queue));
		assert.equal(page.total, expected.length);
		assert.deepEqual(page.jobs.map((job: {queue: string; id: string}) => ({queue: job.queue, id: job.id})), expected);
		for (const job of page.jobs) assertJobShape(job);
		const finished = page.jobs.map((job: {finishedOn: number}) => job.finishedOn);
		assert.deepEqual(finished, [...finished].sort((a: number, b: number) => b - a));
		assert.ok(new Set(page.jobs.map((job: {queue: string}) => job.queue)).size >= 3, 'the page spans queues');
	});

	it('job --json has the failure, stack trace, attempts and logs BullMQ stored', async () => {
		const queue = queues.get('default')!;
		const result = await cli(['job', 'default', fill.evilReason.id, '--json']);
		assertExit(result, 0, 'job --json');
		assertInertJson(result, 'job --json');
		const job = parseJson(result);
		const real = (await queue.getJob(fill.evilReason.id))!;
		assert.equal(job.id, fill.evilReason.id);
		assert.equal(job.state, 'failed');
		assert.equal(job.failedReason, EVIL_REASON);
		assert.deepEqual(job.stacktrace, real.stacktrace);
		assert.ok(job.stacktrace.length > 0 && job.stacktrace[0].startsWith('Error: '), 'a stack trace');
		assert.equal(job.attemptsMade, real.attemptsMade);
		assert.equal(job.attemptsMade, 1);
		const logs = await queue.getJobLogs(fill.evilReason.id);
		assert.deepEqual(job.logs.lines, logs.logs);
		assert.equal(job.logs.total, logs.count);
		assert.deepEqual(job.logs.lines, LOG_LINES);

		const active = parseJson(await cli(['job', 'default', fill.active.id, '--json']));
		assert.equal(active.state, 'active');
		assert.deepEqual(active.logs.lines, fill.active.logs);
		const completed = parseJson(await cli(['job', 'default', fill.completed.id, '--json']));
		assert.equal(completed.state, 'completed');
		assert.deepEqual(completed.returnvalue, fill.completed.returnvalue);
		const parent = parseJson(await cli(['job', 'default', fill.flow.parent.id, '--json']));
		assert.equal(parent.state, 'waiting-children');
		const corrupt = await cli(['job', 'default', fill.corrupt.id, '--json']);
		assertExit(corrupt, 0, 'job of the corrupt job');
		assert.equal(parseJson(corrupt).data, null);
		assert.equal(typeof parseJson(corrupt).dataError, 'string');
		assert.equal(parseJson(corrupt).failedReason, 'statement template missing');
	});

	it('human output of failed, jobs and job shows control characters as visible placeholders, never raw', async () => {
		const runs: Array<[string, string[], string[]]> = [
			['failed', ['failed'], ['\u241B[2J']],
			['jobs failed', ['jobs', 'default', '--state', 'failed'], ['\u241B[2J']],
			['jobs waiting', ['jobs', 'default', '--state', 'waiting'], ['report\u241B[31m-red\u241B[0m']],
			['job (hostile reason and logs)', ['job', 'default', fill.evilReason.id], ['\u241B[2J', '\u241B]0;pwned\u2407', '\u241B]52;c;']],
			['job (hostile name)', ['job', 'default', fill.evilName.id], ['report\u241B[31m-red']],
			['job (corrupt data)', ['job', 'default', fill.corrupt.id], ['not valid JSON']],
		];
		const results = await Promise.all(runs.map(async ([, args]) => cli(args)));
		runs.forEach(([what, , visible], index) => {
			const result = results[index]!;
			assertExit(result, 0, what);
			assertInertHuman(result, what);
			for (const text of visible) assert.ok(result.stdout.includes(text), `${what}: expected the visible placeholder ${JSON.stringify(text)} in:\n${result.stdout}`);
			assert.doesNotMatch(result.stdout, /^\{/, `${what}: human output, not JSON`);
		});
	});

	it('events shows a hostile job as it is added, inert, and stops on SIGINT', async () => {
		// Its own queue, so the jobs it adds change no count another test checks.
		const live = new Queue('live-events', {connection, prefix});
		queues.set('live-events', live);
		await live.add('first', {});
		for (const json of [false, true]) {
			const baseline = Number(await connection.client('ID'));
			const child = spawnCli(['events', '--queue', 'live-events', ...(json ? ['--json'] : []), '--redis', url, '--prefix', prefix]);
			const out: Buffer[] = [];
			let stderr = '';
			child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
			child.stderr.on('data', (chunk: Buffer) => {
				stderr += chunk.toString('utf8');
			});
			const exited = new Promise<number | null>(resolve => {
				child.once('close', code => resolve(code));
			});
			try {
				// Ready once a client newer than the spawn sits in XREAD. Another test file may have
				// one too on the shared server, so a job is added again until the child shows one.
				await waitFor(async () => ((await connection.client('LIST')) as string).split('\n').some(line => {
					const id = /\bid=(\d+)/.exec(line);
					return id !== null && Number(id[1]) > baseline && /\bcmd=xread\b/.test(line);
				}), 'events to block in XREAD');
				const addedJobs: string[] = [];
				let lastAdd = 0;
				const shown = () => addedJobs.find(id => Buffer.concat(out).toString('utf8').includes(json ? `"jobId":"${id}"` : `job ${id} `));
				const addedId = await waitFor(async () => {
					const seen = shown();
					if (seen) return seen;
					if (Date.now() - lastAdd > 1000) {
						lastAdd = Date.now();
						addedJobs.push(String((await live.add(EVIL_NAME, {note: EVIL_REASON})).id));
					}
					return undefined;
				}, `events to print an added job (stderr: ${stderr})`);
				const added = {id: addedId};
				child.kill('SIGINT');
				assert.equal(await exited, 0, `events exit code; stderr: ${stderr}`);
				const result: CliResult = {code: 0, signal: null, stdout: Buffer.concat(out).toString('utf8'), stderr, stdoutBytes: Buffer.concat(out), stderrBytes: Buffer.from(stderr), ms: 0};
				if (json) {
					const lines = result.stdout.trim().split('\n').map(line => JSON.parse(line) as {event: string; jobId: string; queue: string; fields: Record<string, string>});
					const event = lines.find(line => line.event === 'added' && line.jobId === added.id);
					assert.ok(event, `an "added" event for job ${String(added.id)}: ${result.stdout}`);
					assert.equal(event.queue, 'live-events');
					assert.equal(event.fields['name'], EVIL_NAME);
					assert.doesNotMatch(result.stdout, /[\x7F-\x9F\u202E]/u, 'NDJSON escapes C1 and bidi controls');  
				} else {
					assertInertHuman(result, 'events');
					assert.match(result.stdout, /added/);
					assert.ok(result.stdout.includes('report\u241B[31m-red'), `the hostile name shown inert: ${result.stdout}`);
				}
			} finally {
				if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
				await exited;
			}
		}
	});

	it('piped output has no colour; on a terminal there is colour unless NO_COLOR=1 or --no-color', async t => {
		for (const args of [['status'], ['doctor'], ['monitor', 'default:1'], ['failed']]) {
			const result = await cli(args);  
			assert.ok(!result.stdout.includes('\x1b'), `${args.join(' ')} piped: ESC in ${JSON.stringify(result.stdout.slice(0, 200))}`);
		}
		const tty = await runCliInPty(['monitor', 'default:1', '--redis', url, '--prefix', prefix]);
		if (!tty) {
			t.skip('python3 (for a pseudo-terminal) is not installed');
			return;
		}
		assertExit(tty, 1, 'monitor on a terminal');
		assert.ok(tty.stdout.includes('\x1b['), `no colour even on a terminal: ${JSON.stringify(tty.stdout)}`);
		const noColor = await runCliInPty(['monitor', 'default:1', '--redis', url, '--prefix', prefix], {env: {NO_COLOR: '1'}});
		assertExit(noColor!, 1, 'monitor NO_COLOR=1');
		assert.match(noColor!.stdout, /ALERT/);
		assert.ok(!noColor!.stdout.includes('\x1b'), `NO_COLOR=1 ignored: ${JSON.stringify(noColor!.stdout)}`);
		const flag = await runCliInPty(['monitor', 'default:1', '--no-color', '--redis', url, '--prefix', prefix]);
		assert.ok(!flag!.stdout.includes('\x1b'), `--no-color ignored: ${JSON.stringify(flag!.stdout)}`);
	});

	it('usage errors exit 2: unknown queue (listing the known ones), unknown flag, malformed values', async () => {
		const unknown = await cli(['jobs', 'nosuchqueue']);
		assertExit(unknown, 2, 'unknown queue');
		for (const name of SEED_QUEUES) assert.ok(unknown.stderr.includes(name), `the message lists "${name}": ${unknown.stderr}`);
		assert.match(unknown.stderr, /nosuchqueue/);
		assert.equal(unknown.stdout, '');

		const unknownJson = await cli(['status', '--queue', 'nosuchqueue', '--json']);
		assertExit(unknownJson, 2, 'unknown queue --json');
		const error = parseJson(unknownJson).error;
		assert.deepEqual(Object.keys(error).sort(), ['code', 'hint', 'message']);
		assert.match(error.message, /nosuchqueue/);
		assert.match(error.message, /default/);

		const flag = await cli(['status', '--bogus']);
		assertExit(flag, 2, 'unknown flag');
		assert.match(flag.stderr, /bogus/);
		const flagJson = await cli(['status', '--bogus', '--json']);
		assertExit(flagJson, 2, 'unknown flag --json');
		assert.ok(parseJson(flagJson).error.message.includes('bogus'));

		for (const args of [['jobs', 'default', '--limit', 'abc'], ['jobs', 'default', '--limit', '0'], ['failed', '--offset', '-1'], ['jobs', 'default', '--state', 'sleeping'], ['monitor', 'default=7'], ['nosuchcommand']]) {
			const result = await cli(args);  
			assertExit(result, 2, args.join(' '));
			assert.ok(result.stderr.length > 0, `${args.join(' ')}: a message`);
		}
	});

	it('a config file with a bad field is exit 2, naming the file and the field', async () => {
		const file = writeConfig(`bad-${randomUUID()}.json`, {queues: {high: {timout: 5}}});
		const result = await runCli(['status', '--config', file, '--redis', url, '--prefix', prefix]);
		assertExit(result, 2, 'bad config');
		assert.ok(result.stderr.includes(file), `names the file: ${result.stderr}`);
		assert.match(result.stderr, /queues\.high\.timout/);
		const json = await runCli(['status', '--config', file, '--redis', url, '--prefix', prefix, '--json']);
		assertExit(json, 2, 'bad config --json');
		assert.match(parseJson(json).error.message, /queues\.high\.timout/);
	});
});

describe('queues discover', () => {
	const url = testRedisUrl();
	const prefix = `test-${randomUUID()}`;
	let fill: FillResult;

	before(async () => {
		fill = await fillLikeAnotherApp(url, prefix);
	});

	after(async () => {
		await deletePrefix(url, prefix);
	});

	it('finds the queue only Redis knows, records it, and queues/status/failed include it afterwards', async () => {
		const cli = async (args: string[]) => runCli([...args, '--redis', url, '--prefix', prefix]);
		const beforeList = parseJson(await cli(['queues', '--json']));
		assert.ok(!beforeList.queues.some((queue: {name: string}) => queue.name === fill.extraQueue), 'not known before discover');

		const discovered = await cli(['queues', 'discover', '--json']);
		assertExit(discovered, 0, 'queues discover');
		const report = parseJson(discovered);
		assert.deepEqual([...report.found].sort(), [...fill.queues].sort());
		assert.deepEqual(report.added, [fill.extraQueue]);
		assert.equal(report.recorded, true);

		const list = parseJson(await cli(['queues', '--json']));
		const extra = list.queues.find((queue: {name: string}) => queue.name === fill.extraQueue);
		assert.ok(extra, `queues --json lists ${fill.extraQueue}: ${JSON.stringify(list)}`);
		const bullmq = await bullmqCounts(url, prefix, fill.queues);
		assert.deepEqual(extra.counts, bullmq[fill.extraQueue]!.counts);

		const status = parseJson(await cli(['status', '--json']));
		assert.deepEqual(status.queues.map((queue: {name: string}) => queue.name), [...SEED_QUEUES, fill.extraQueue]);
		for (const queue of status.queues) assert.deepEqual(queue.counts, bullmq[queue.name]!.counts, `${queue.name} counts`);

		const failed = parseJson(await cli(['failed', '--json']));
		assert.deepEqual(failed.jobs.map((job: {queue: string; id: string}) => ({queue: job.queue, id: job.id})), fill.failedNewestFirst);

		// A second discover finds nothing new.
		const again = parseJson(await cli(['queues', 'discover', '--json']));
		assert.deepEqual(again.added, []);
	});

	it('a queue name with escape sequences, found in Redis, is shown inert by discover, queues, status, failed, errors and events', async () => {
		const hostilePrefix = `test-${randomUUID()}`;
		const hostileName = 'q\x1b]0;pwned\x07\x1b[2J\u202e';
		const connection = new Redis(url, {maxRetriesPerRequest: null});
		const queue = new Queue(hostileName, {connection, prefix: hostilePrefix});
		const problems: string[] = [];
		const check = (what: string, result: CliResult, code: number): void => {
			if (result.code !== code) problems.push(`${what}: ${describeResult(result)}`);
			for (const [stream, text] of [['stdout', result.stdout], ['stderr', result.stderr]] as const) {
				if (UNSAFE_HUMAN.test(text)) problems.push(`${what}: raw control character on ${stream}: ${firstUnsafe(text, UNSAFE_HUMAN)}`);
			}
		};
		try {
			await queue.add('x', {});
			const cli = async (args: string[]) => runCli([...args, '--redis', url, '--prefix', hostilePrefix]);
			const discovered = await cli(['queues', 'discover']);
			check('queues discover', discovered, 0);
			const recorded = parseJson(await cli(['queues', '--json']));
			assert.ok(recorded.queues.some((entry: {name: string}) => entry.name === hostileName), 'discover recorded the queue');
			for (const [args, code] of [[['queues'], 0], [['status'], 0], [['failed'], 0], [['jobs', 'nosuchqueue'], 2]] as Array<[string[], number]>) {
				check(args.join(' '), await cli(args), code);  
			}
			// events names the queues it follows on stderr before it blocks.
			const child = spawnCli(['events', '--redis', url, '--prefix', hostilePrefix]);
			let stderr = '';
			child.stderr.on('data', (chunk: Buffer) => {
				stderr += chunk.toString('utf8');
			});
			const exited = new Promise<number | null>(resolve => {
				child.once('close', code => resolve(code));
			});
			try {
				await waitFor(() => stderr.includes('\n'), 'events to say what it follows');
				child.kill('SIGINT');
				const code = await exited;
				check('events (stderr note)', {code, signal: null, stdout: '', stderr, stdoutBytes: Buffer.alloc(0), stderrBytes: Buffer.from(stderr), ms: 0}, 0);
			} finally {
				if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
				await exited;
			}
			assert.deepEqual(problems, [], problems.join('\n'));
		} finally {
			await queue.close();
			await connection.quit();
			await deletePrefix(url, hostilePrefix);
		}
	});
});

describe('connection failures: exit codes, and secrets never printed', () => {
	const password = `pa55:w/rd@${randomUUID().slice(0, 8)}%`;
	const wrong = `wrong-${randomUUID().slice(0, 8)}`;
	let server: RedisServer;

	before(async () => {
		server = await startRedisServer({password});
	});

	after(async () => {
		await server?.stop();
	});

	const secrets = () => [password, encodeURIComponent(password), wrong];

	function assertNoSecret(result: CliResult, what: string): void {
		for (const secret of secrets()) {
			assert.ok(!result.stdout.includes(secret), `${what}: a password on stdout: ${result.stdout}`);
			assert.ok(!result.stderr.includes(secret), `${what}: a password on stderr: ${result.stderr}`);
		}
	}

	function assertJsonError(result: CliResult, what: string): void {
		const error = parseJson(result).error;
		assert.ok(error, `${what}: {"error": …} on stdout`);
		assert.deepEqual(Object.keys(error).sort(), ['code', 'hint', 'message']);
		for (const field of ['code', 'message', 'hint']) assert.equal(typeof error[field], 'string');
	}

	it('Redis down (nothing listens on the port) is exit 3 within 5 s', async () => {
		const port = await freePort();
		const down = `redis://:${encodeURIComponent(wrong)}@127.0.0.1:${port}`;
		for (const args of [['status'], ['jobs', 'default', '--state', 'failed'], ['monitor', 'default:10']]) {
			for (const json of [false, true]) {
				const what = `${args.join(' ')}${json ? ' --json' : ''} (down)`;
				const result = await runCli([...args, ...(json ? ['--json'] : []), '--redis', down]);  
				assertExit(result, 3, what);
				assert.ok(result.ms < 5000, `${what} took ${Math.round(result.ms)} ms`);
				assertNoSecret(result, what);
				if (json) assertJsonError(result, what);
				else assert.match(result.stderr, new RegExp(`127\\.0\\.0\\.1:${port}`), 'says where it tried');
			}
		}
	});

	it('a wrong password is exit 4, and neither password is printed', async () => {
		const wrongUrl = `redis://:${encodeURIComponent(wrong)}@127.0.0.1:${server.port}`;
		const cases: Array<[string, string[], Record<string, string>]> = [
			['wrong password in the URL', ['--redis', wrongUrl], {}],
			['wrong password with a user name', ['--redis', `redis://default:${encodeURIComponent(wrong)}@127.0.0.1:${server.port}`], {}],
			['wrong REDIS_PASSWORD', ['--redis', `redis://127.0.0.1:${server.port}`], {REDIS_PASSWORD: wrong}],
			['no password', ['--redis', `redis://127.0.0.1:${server.port}`], {}],
		];
		for (const [what, flags, env] of cases) {
			for (const json of [false, true]) {
				const result = await runCli(['status', ...flags, ...(json ? ['--json'] : [])], {env});  
				assertExit(result, 4, what);
				assertNoSecret(result, what);
				if (json) {
					assertJsonError(result, what);
					assert.equal(parseJson(result).error.code, 'redis-auth');
				}
			}
		}
	});

	it('the right password works and status --json shows the URL without it', async () => {
		for (const [what, flags, env] of [
			['password in the URL', ['--redis', server.url], {}],
			['REDIS_PASSWORD', ['--redis', `redis://127.0.0.1:${server.port}`], {REDIS_PASSWORD: password}],
		] as Array<[string, string[], Record<string, string>]>) {
			const result = await runCli(['status', '--json', ...flags], {env});  
			assertExit(result, 0, what);
			assertNoSecret(result, what);
			const status = parseJson(result);
			assert.match(status.redis.url, new RegExp(`127\\.0\\.0\\.1:${server.port}`));
			const human = await runCli(['status', ...flags], {env});  
			assertExit(human, 0, `${what} (human)`);
			assertNoSecret(human, `${what} (human)`);
		}
	});
});
