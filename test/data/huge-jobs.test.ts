/**
 * Jobs of 2 MB and 20 MB of data, and a failure whose reason and stack trace
 * are 5 MB each, through the real binary on a private redis-server:
 *
 * - `jobs --json` and `failed --json` carry each job's data whole up to
 *   limits.jobPreviewBytes (64 KB); beyond it `data` is null with
 *   dataTruncated, dataBytes (the full size) and dataPreview (its start);
 *   the table shows the size and the start.
 * - `job` prints each large field's start with its size, and `job --json`
 *   the whole job.
 * - none of it writes to Redis (the cutting is a read-only script).
 * - a Redis user without @scripting still reads them: sizes, no previews.
 */
import {after, before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {randomUUID} from 'node:crypto';
import {Redis} from 'ioredis';
import {describeResult, parseJson, runCli, type CliResult} from '../helpers/cli.js';
import {makeHugeFailure, makeHugeJobs, type HugeJobs} from '../helpers/huge-jobs.js';
import {describeDigestDiff, keyspaceDigest} from '../helpers/keyspace.js';
import {startRedisServer, type RedisServer} from '../helpers/redis-server.js';

const KB = 1024;
const PREVIEW = 64 * KB;

type PageJob = {id: string; data: unknown; dataTruncated?: true; dataBytes?: number; dataPreview?: string; failedReason: string | null; failedReasonTruncated?: true; failedReasonBytes?: number};

describe('huge jobs: pages, detail and --json', {concurrency: false}, () => {
	let server: RedisServer;
	let admin: Redis;
	const prefix = `huge-${randomUUID().slice(0, 8)}`;
	let made: HugeJobs;
	let failure: {id: string; reason: string};
	let stored: {big: string; mid: string};

	before(async () => {
		server = await startRedisServer();
		admin = new Redis(server.url);
		made = await makeHugeJobs(server.url, prefix);
		failure = await makeHugeFailure(server.url, prefix);
		// The Worker's stalled-check key expires by itself: not a change a read could be blamed for.
		await admin.del(`${prefix}:sms:stalled-check`);
		stored = {
			big: (await admin.hget(`${prefix}:reports:${made.big.id}`, 'data'))!,
			mid: (await admin.hget(`${prefix}:reports:${made.mid.id}`, 'data'))!,
		};
	});
	after(async () => {
		admin?.disconnect();
		await server?.stop();
	});

	const cli = async (args: string[], url = server.url): Promise<CliResult> => runCli([...args, '--redis', url, '--prefix', prefix], {timeoutMs: 60_000});

	it('jobs --json: small jobs whole; the 2 MB and 20 MB jobs as dataTruncated with their full size and their first 64 KB', async () => {
		const result = await cli(['jobs', 'reports', '--json']);
		assert.equal(result.code, 0, describeResult(result));
		assert.ok(result.stdoutBytes.length < 300 * KB, `the page is ${result.stdoutBytes.length} bytes: more than its jobs' starts`);
		const jobs = parseJson<{jobs: PageJob[]}>(result).jobs;
		assert.deepEqual(jobs.map(job => job.id), [...made.small.map(job => job.id), made.mid.id, made.big.id]);
		for (const small of made.small) {
			const job = jobs.find(candidate => candidate.id === small.id)!;
			assert.deepEqual(job.data, small.data);
			assert.equal(job.dataTruncated, undefined);
		}
		for (const [which, text] of [['mid', stored.mid], ['big', stored.big]] as const) {
			const job = jobs.find(candidate => candidate.id === made[which].id)!;
			assert.equal(job.data, null, `${which}: data is not carried`);
			assert.equal(job.dataTruncated, true);
			assert.equal(job.dataBytes, Buffer.byteLength(text), `${which}: its full size`);
			assert.equal(job.dataPreview, text.slice(0, PREVIEW), `${which}: the first 64 KB of its JSON`);
		}
	});

	it('jobs (the table): the size and the start of a large job\'s data, never all of it', async () => {
		const result = await cli(['jobs', 'reports']);
		assert.equal(result.code, 0, describeResult(result));
		assert.ok(result.stdoutBytes.length < 10 * KB, `the table is ${result.stdoutBytes.length} bytes`);
		assert.match(result.stdout, new RegExp(`\\n${made.big.id}\\s+report\\.big\\s.*20\\.0 MB \\{"statement":"QUJD`));
		assert.match(result.stdout, new RegExp(`\\n${made.mid.id}\\s+report\\.mid\\s.*2\\.0 MB \\{"statement":"QUJD`));
		assert.match(result.stdout, /"to":"a@example\.com"/);
	});

	it('job: the first 64 KB of the data under its full size and how to get all of it; job --json: all of it', async () => {
		const human = await cli(['job', 'reports', made.big.id]);
		assert.equal(human.code, 0, describeResult(human));
		assert.ok(human.stdoutBytes.length < 2 * PREVIEW, `job printed ${human.stdoutBytes.length} bytes`);
		assert.ok(human.stdout.includes(`Data (20.0 MB, cut to its first 64.0 KB here; \`saccos-queue job reports ${made.big.id} --json\` prints it whole)`), human.stdout.slice(0, 3000));
		assert.match(human.stdout, /Data \(.*\n {2}\{\n {4}"statement": "QUJDQUJD/);
		assert.ok(!human.stdout.includes('END-OF-20MB'), 'the end of the data is not printed');

		const json = await cli(['job', 'reports', made.big.id, '--json']);
		assert.equal(json.code, 0, describeResult(json));
		const job = parseJson<{data: unknown; dataTruncated?: true}>(json);
		assert.deepEqual(job.data, made.big.data, 'the whole data');
		assert.equal(job.dataTruncated, undefined);
	});

	it('a failure of 5 MB: failed --json and job show the start of its reason and stack trace with their sizes', async () => {
		const failed = await cli(['failed', '--queue', 'sms', '--json']);
		assert.equal(failed.code, 0, describeResult(failed));
		const [job] = parseJson<{jobs: PageJob[]}>(failed).jobs;
		assert.equal(job?.id, failure.id);
		assert.equal(job.failedReasonTruncated, true);
		assert.equal(job.failedReasonBytes, Buffer.byteLength(failure.reason));
		assert.equal(job.failedReason, failure.reason.slice(0, PREVIEW));

		const human = await cli(['job', 'sms', failure.id]);
		assert.equal(human.code, 0, describeResult(human));
		assert.ok(human.stdoutBytes.length < 4 * PREVIEW, `job printed ${human.stdoutBytes.length} bytes`);
		assert.match(human.stdout, /Failed reason \(5\.0 MB, cut to its first 64\.0 KB here; /);
		assert.match(human.stdout, /Stack traces \(newest last\) \(5\.0 MB, cut to its first 6\d\.\d KB here; /);
		assert.match(human.stdout, /\n {2}Error: gateway said: EEEE/);
		assert.ok(!human.stdout.includes('END-OF-REASON'));
	});

	it('reading them writes nothing: the keyspace is byte for byte the same', async () => {
		const digest = await keyspaceDigest(admin);
		for (const args of [['jobs', 'reports', '--json'], ['jobs', 'reports'], ['job', 'reports', made.big.id], ['failed', '--json'], ['job', 'sms', failure.id]]) {
			const result = await cli(args);  
			assert.equal(result.code, 0, `${args.join(' ')}: ${describeResult(result)}`);
		}
		const now = await keyspaceDigest(admin);
		assert.equal(now.hash, digest.hash, describeDigestDiff(digest.entries, now.entries));
	});

	it('a Redis user without @scripting reads them too: sizes, no preview (it cannot cut on the server)', async () => {
		await admin.call('ACL', 'SETUSER', 'noscripts', 'on', '>noscripts-pw', '~*', '&*', '+@all', '-@scripting');
		const url = server.url.replace('redis://', 'redis://noscripts:noscripts-pw@');
		const result = await cli(['jobs', 'reports', '--json'], url);
		assert.equal(result.code, 0, describeResult(result));
		const jobs = parseJson<{jobs: PageJob[]}>(result).jobs;
		const big = jobs.find(job => job.id === made.big.id)!;
		assert.equal(big.dataTruncated, true);
		assert.equal(big.dataBytes, Buffer.byteLength(stored.big));
		assert.equal(big.dataPreview, undefined);
		assert.deepEqual(jobs.find(job => job.id === made.small[0]!.id)?.data, made.small[0]!.data);
		const human = await cli(['job', 'reports', made.big.id], url);
		assert.equal(human.code, 0, describeResult(human));
		assert.match(human.stdout, /Data \(20\.0 MB, too large to preview; /);
	});
});
