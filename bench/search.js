#!/usr/bin/env node
// @bench (bench/run.js runs every bench/*.js file carrying this marker)
/**
 * `saccos-queue jobs loans --state failed --grep TEXT --max-scan N` on
 * 230,000 failed jobs and one of 20 MB, on a private redis-server: how long
 * Redis is held by the search.
 *
 * Claims checked (one run):
 *   A. The search finds the one job holding the text, having searched all of them.
 *   B. A page script (EVALSHA, INFO commandstats) takes ≤ 5 ms on average; how many took
 *      over 1 ms, and the longest, come from SLOWLOG.
 *   C. The 20 MB job's data is never read (no HGET of it in SLOWLOG, which lists the
 *      commands a script runs).
 * Reported beside them: the slowest page scripts (SLOWLOG over 1 ms), a PING sent every
 * 5 ms by another client meanwhile (its p99 and max: how the machine itself behaves), the
 * wall time and peak RSS of the CLI.
 *
 * The jobs are written in BullMQ's layout for failed jobs (HSET of the job hash, ZADD to
 * `failed`), pipelined: a Worker would take minutes for 230,000. Run `npm run build` first.
 *
 *   node bench/search.js [--jobs 230000] [--page-limit 5]
 */
import {writeFileSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {Redis} from 'ioredis';
import {childEnv, fmt, machineLine, missingBuild, note, parseOptions, runMain, runProcess, summarize, table, verdict} from './lib/common.js';
import {installCleanup, startRedis, stopRedis, tempDir} from './lib/private-redis.js';

const BENCH = 'search';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(root, 'bin', 'saccos-queue.js');
const PREFIX = 'bull';
const QUEUE = 'loans';

const options = parseOptions(BENCH, {jobs: '230000', 'page-limit': '5'}, 'node bench/search.js [--jobs 230000] [--page-limit 5]');
const JOBS = Number(options.values.jobs);
const PAGE_LIMIT_MS = Number(options.values['page-limit']);
const phoneOf = index => `+2557${String(10_000_000 + index).slice(-8)}`;

async function fill(client) {
	const now = Date.now();
	for (let start = 0; start < JOBS; start += 5000) {
		const pipeline = client.pipeline();
		const members = [];
		for (let index = start; index < Math.min(JOBS, start + 5000); index++) {
			const id = String(index + 1);
			const data = JSON.stringify({to: phoneOf(index), member: `M-${index}`, body: `Your loan repayment of TZS 150,000 is due. Ref ${index}`});
			pipeline.hset(`${PREFIX}:${QUEUE}:${id}`, 'name', 'sms.send', 'data', data, 'failedReason', `gateway timeout (job ${index})`, 'timestamp', String(now - JOBS + index), 'processedOn', String(now - JOBS + index + 1), 'finishedOn', String(now - JOBS + index + 5), 'attemptsMade', '1', 'atm', '1');
			members.push(now - JOBS + index + 5, id);
		}
		pipeline.zadd(`${PREFIX}:${QUEUE}:failed`, ...members);
		await pipeline.exec();
	}
	// The 20 MB job, in the middle of the set.
	const big = String(JOBS + 1);
	await client.hset(`${PREFIX}:${QUEUE}:${big}`, 'name', 'report.big', 'data', JSON.stringify({statement: 'QUJD'.repeat(5 * 1024 * 1024)}), 'failedReason', 'too big', 'timestamp', String(now - JOBS / 2), 'finishedOn', String(now - JOBS / 2), 'attemptsMade', '1');
	await client.zadd(`${PREFIX}:${QUEUE}:failed`, now - JOBS / 2, big);
	await client.sadd(`${PREFIX}:saccos-queue:queues`, QUEUE);
	return big;
}

/** PINGs every 5 ms on its own connection until stopped; the round trips in ms. */
function pinger(url) {
	const client = new Redis(url);
	const samples = [];
	let running = true;
	const loop = (async () => {
		while (running) {
			const started = performance.now();
			await client.ping();
			samples.push(performance.now() - started);
			await new Promise(resolve => setTimeout(resolve, 5));
		}
	})();
	return {stop: async () => {
		running = false;
		await loop;
		client.disconnect();
		return samples;
	}};
}

async function main() {
	if (missingBuild(BENCH)) return 2;
	installCleanup(BENCH);
	const server = await startRedis();
	const {client} = server;
	note(`filling ${server.url}: ${JOBS} failed jobs and one of 20 MB…`);
	const big = await fill(client);
	await client.config('SET', 'slowlog-log-slower-than', '1000');
	await client.config('SET', 'slowlog-max-len', '100000');
	await client.slowlog('RESET');
	await client.config('RESETSTAT');
	const text = phoneOf(123);
	const cwd = tempDir('cwd');
	const config = path.join(cwd, 'empty.json');
	writeFileSync(config, '{}');
	const probe = pinger(server.url);
	const run = await runProcess('/usr/bin/time', ['-f', '%M', process.execPath, CLI, 'jobs', QUEUE, '--state', 'failed', '--grep', text, '--max-scan', String(JOBS + 1), '--json', '--redis', server.url, '--prefix', PREFIX, '--config', config], {cwd, env: childEnv()});
	if (run.code !== 0) throw new Error(`the CLI exited ${run.code}: ${run.stdout}${run.stderr}`);
	const pings = await probe.stop();
	const out = JSON.parse(run.stdout);
	const rssKb = Number(run.stderr.trim().split('\n').at(-1));
	const stats = await client.info('commandstats');
	const evalsha = /cmdstat_evalsha:calls=(\d+),usec=(\d+)/.exec(stats);
	const slow = (await client.slowlog('GET', 100000)).map(entry => ({us: entry[2], command: entry[3].join(' ').slice(0, 60)}));
	const slowPages = slow.filter(entry => entry.command.toLowerCase().startsWith('evalsha')).map(entry => entry.us / 1000);
	const readBig = slow.some(entry => entry.command.startsWith(`HGET ${PREFIX}:${QUEUE}:${big} data`));
	const pages = Number(evalsha?.[1] ?? 0);
	const meanPageMs = pages ? Number(evalsha[2]) / pages / 1000 : NaN;
	await stopRedis(server);

	const a = out.jobs.length === 1 && out.jobs[0].id === '124' && out.search.complete && out.search.scanned === JOBS + 1;
	const b = meanPageMs <= PAGE_LIMIT_MS;
	const c = !readBig && out.search.unread === 1;
	const pingSummary = summarize(pings, [0.99]);
	const slowSummary = slowPages.length ? summarize(slowPages, [0.99]) : {max: 0};
	console.log(machineLine(server.version));
	console.log(table(['measure', 'value'], [
		['jobs searched', `${out.search.scanned} of ${out.search.total} (complete: ${out.search.complete}), ${out.search.matched} match`],
		['CLI wall time / peak RSS', `${fmt(run.ms / 1000, 2)} s / ${Math.round(rssKb / 1024)} MB`],
		['page scripts', `${pages}, mean ${fmt(meanPageMs, 2)} ms; over 1 ms: ${slowPages.length} (max ${fmt(slowSummary.max, 1)} ms)`],
		['PING every 5 ms meanwhile', `${pingSummary.n} sent, p99 ${fmt(pingSummary.p99, 2)} ms, max ${fmt(pingSummary.max, 1)} ms`],
		['20 MB job', readBig ? 'its data was read' : `not read (unread: ${out.search.unread})`],
	]));
	console.log(`A found, all searched: ${verdict(a)}\nB mean page script ≤ ${PAGE_LIMIT_MS} ms: ${verdict(b)}\nC 20 MB data never read: ${verdict(c)}`);
	return a && b && c ? 0 : 1;
}

await runMain(BENCH, main);
