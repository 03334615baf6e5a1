/**
 * "Opening or reading a queue never writes to Redis" (README, "Cost and safety"):
 * every read command of the real binary, against queues another BullMQ
 * application filled, leaves the WHOLE keyspace of a private server byte for
 * byte as it was (TYPE + DUMP + expiry of every key), and the key count too.
 */
import {after, before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {randomUUID} from 'node:crypto';
import {Redis} from 'ioredis';
import {describeResult, gatherOutput, runCli, spawnCli, type CliResult} from '../helpers/cli.js';
import {fillLikeAnotherApp, STATES, type FillResult} from '../helpers/fill.js';
import {describeDigestDiff, infoKeyCount, keyspaceDigest, waitFor} from '../helpers/keyspace.js';
import {startRedisServer, type RedisServer} from '../helpers/redis-server.js';

describe('reading never writes', () => {
	let server: RedisServer;
	let admin: Redis;
	let fill: FillResult;
	const prefix = `test-${randomUUID()}`;
	let digest: Awaited<ReturnType<typeof keyspaceDigest>>;
	let keyCount: number;

	before(async () => {
		server = await startRedisServer();
		admin = new Redis(server.url);
		fill = await fillLikeAnotherApp(server.url, prefix);
		digest = await keyspaceDigest(admin);
		keyCount = await infoKeyCount(admin);
		assert.ok(digest.keys > 50, `the fill created only ${digest.keys} keys`);
		assert.equal(keyCount, digest.keys);
	});

	after(async () => {
		admin?.disconnect();
		await server?.stop();
	});

	/** Asserts the keyspace is exactly as the fill left it. */
	async function assertUnchanged(what: string): Promise<void> {
		const now = await keyspaceDigest(admin);
		assert.equal(now.hash, digest.hash, `${what} changed the keyspace:\n${describeDigestDiff(digest.entries, now.entries)}`);
		assert.equal(await infoKeyCount(admin), keyCount, `${what} changed INFO keyspace's key count`);
	}

	const common = (): string[] => ['--redis', server.url, '--prefix', prefix];

	/** Runs one command, checks its exit code, then that nothing was written. */
	async function read(args: string[], expectedCode = 0): Promise<CliResult> {
		const result = await runCli([...args, ...common()]);
		assert.equal(result.code, expectedCode, `${args.join(' ')}: ${describeResult(result)}`);
		await assertUnchanged(args.join(' '));
		return result;
	}

	it('status, monitor, queues, doctor (JSON and human)', async () => {
		await read(['status', '--json']);
		await read(['status']);
		await read(['status', '--queue', 'default,high', '--json']);
		await read(['monitor', '--json']);
		await read(['monitor', 'default:1,high:1'], 1);
		await read(['queues', '--json']);
		await read(['queues']);
		await read(['doctor', '--json']);
		// discover without recording is a read too.
		const dry = await read(['queues', 'discover', '--dry-run', '--json']);
		assert.ok(JSON.parse(dry.stdout).found.includes(fill.extraQueue));
	});

	it('jobs in each of the 7 states, and of a queue only Redis knows', async () => {
		for (const state of STATES) {
			const result = await read(['jobs', 'default', '--state', state, '--json']);  
			assert.equal(JSON.parse(result.stdout).total, fill.ids['default']![state].length, `${state} total`);
		}
		await read(['jobs', 'default', '--state', 'failed']);
		await read(['jobs', 'default', '--state', 'waiting']);
		await read(['jobs', fill.extraQueue, '--state', 'failed', '--json']);
	});

	it('job for several ids, including the corrupt one, and failed', async () => {
		const ids = [fill.corrupt, fill.evilReason, fill.active, fill.completed, fill.flow.parent, fill.flow.children[0]!];
		for (const ref of ids) {
			await read(['job', ref.queue, ref.id, '--json']);  
		}
		await read(['job', fill.corrupt.queue, fill.corrupt.id]);
		await read(['job', fill.evilReason.queue, fill.evilReason.id]);
		await read(['job', 'default', 'no-such-id'], 2);
		await read(['failed', '--json']);
		await read(['failed']);
	});

	it('an unknown queue is exit 2 and creates no key', async () => {
		const status = await read(['status', '--queue', 'unknownqueue'], 2);
		assert.match(status.stderr, /unknownqueue/);
		await read(['status', '--queue', 'unknownqueue', '--json'], 2);
		await read(['jobs', 'nosuchqueue'], 2);
		await read(['job', 'nosuchqueue', '1'], 2);
		await read(['monitor', 'nosuchqueue:10'], 2);
		await read(['events', '--queue', 'nosuchqueue'], 2);
	});

	for (const json of [true, false]) {
		it(`events${json ? ' --json' : ''}: follows, stops on SIGINT with exit 0, writes nothing`, async () => {
			const child = spawnCli(['events', ...(json ? ['--json'] : []), ...common()]);
			const output = gatherOutput(child);
			const exited = new Promise<[number | null, NodeJS.Signals | null]>(resolve => {
				child.once('close', (code, signal) => resolve([code, signal]));
			});
			try {
				// Ready = its blocking XREAD is parked on the server (the only XREAD on this private server).
				await waitFor(async () => /\bcmd=xread\b/.test(await admin.client('LIST') as string), `events to block in XREAD (stderr: ${output.stderr()})`);
				child.kill('SIGINT');
				const [code, signal] = await Promise.race([
					exited,
					new Promise<never>((_, reject) => {
						setTimeout(() => reject(new Error('events did not stop within 5 s of SIGINT')), 5000).unref();
					}),
				]);
				assert.equal(signal, null, `events died of ${String(signal)}; stderr: ${output.stderr()}`);
				assert.equal(code, 0, `stderr: ${output.stderr()}`);
				assert.equal(output.stdout(), '', 'no event happened, so none is printed');
			} finally {
				if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
				await exited;
			}
			await assertUnchanged('events');
		});
	}
});
