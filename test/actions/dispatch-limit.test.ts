/**
 * `dispatch` refuses job data larger than limits.maxJobDataBytes (512 KB by
 * default): exit 2, code too-large, the size and the cap in the message, a
 * hint, and no job added. The cap is measured on what Redis would hold (the
 * compact JSON), and raised in the config file.
 */
import {describe, it} from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {truncateSync, writeFileSync} from 'node:fs';
import {describeResult, parseJson, scratchDir, writeConfig} from '../helpers/cli.js';
import {scope} from '../helpers/failed-jobs.js';
import {keysUnder} from '../helpers/keyspace.js';
import {testRedisUrl} from '../helpers/redis-server.js';

const url = testRedisUrl();
const QUEUE = 'default';

/** `{"statement": "QUJD…"}` whose compact JSON is exactly `bytes` bytes. */
const dataOf = (bytes: number) => ({statement: 'Q'.repeat(bytes - '{"statement":""}'.length)});

describe('dispatch: the data cap', () => {
	it('600 KB of data is refused: exit 2, too-large, its size and the cap, a hint, and no job', async t => {
		const s = scope(t, url);
		const file = path.join(scratchDir(), `${s.prefix}-600k.json`);
		writeFileSync(file, JSON.stringify(dataOf(600 * 1024)));
		const json = await s.cli(['dispatch', QUEUE, 'report.export', '--data', `@${file}`, '--json']);
		assert.equal(json.code, 2, describeResult(json));
		const {error} = parseJson<{error: {code: string; message: string; hint: string}}>(json);
		assert.equal(error.code, 'too-large');
		assert.equal(error.message, '--data is 600 KB (614,400 bytes); a job\'s data may be at most 512 KB (524,288 bytes)');
		assert.match(error.hint, /store the payload elsewhere .* and pass a reference .*; or raise .*maxJobDataBytes/);

		const human = await s.cli(['dispatch', QUEUE, 'report.export', '--data', `@${file}`]);
		assert.equal(human.code, 2, describeResult(human));
		assert.match(human.stderr, /^saccos-queue: --data is 600 KB \(614,400 bytes\); a job's data may be at most 512 KB/);
		assert.match(human.stderr, /\n {2}hint: store the payload elsewhere/);
		assert.deepEqual(await keysUnder(s.client, `${s.prefix}:${QUEUE}:`), [], 'nothing added');
	});

	it('the cap counts the JSON Redis holds: a file padded with whitespace over the cap, holding less, is taken', async t => {
		const s = scope(t, url);
		const file = path.join(scratchDir(), `${s.prefix}-spaced.json`);
		const data = {lines: Array.from({length: 4000}, (_, index) => ({index, amount: index * 2}))};
		writeFileSync(file, JSON.stringify(data, null, 80));
		assert.ok(Buffer.byteLength(JSON.stringify(data, null, 80)) > 512 * 1024 && Buffer.byteLength(JSON.stringify(data)) < 512 * 1024);
		const result = await s.cli(['dispatch', QUEUE, 'report.export', '--data', `@${file}`, '--json']);
		assert.equal(result.code, 0, describeResult(result));
		assert.deepEqual((await s.queue(QUEUE).getJob(parseJson(result).jobId))?.data, data);
	});

	it('a 50 MB file is refused without being read; the config raises the cap', async t => {
		const s = scope(t, url);
		const huge = path.join(scratchDir(), `${s.prefix}-50m.json`);
		writeFileSync(huge, '');
		truncateSync(huge, 50 * 1024 * 1024); // sparse: 50 MB by its size, nothing to read
		const refused = await s.cli(['dispatch', QUEUE, 'report.export', '--data', `@${huge}`, '--json']);
		assert.equal(refused.code, 2, describeResult(refused));
		assert.match(parseJson(refused).error.message, /^the --data file .*-50m\.json is 50\.0 MB \(52,428,800 bytes\); a job's data may be at most 512 KB/);

		const file = path.join(scratchDir(), `${s.prefix}-600k.json`);
		writeFileSync(file, JSON.stringify(dataOf(600 * 1024)));
		const config = writeConfig(`${s.prefix}-limits.json`, {limits: {maxJobDataBytes: 1024 * 1024}});
		const raised = await s.cli(['dispatch', QUEUE, 'report.export', '--data', `@${file}`, '--json', '--config', config]);
		assert.equal(raised.code, 0, describeResult(raised));
		assert.equal(await s.client.hstrlen(`${s.prefix}:${QUEUE}:${String(parseJson(raised).jobId)}`, 'data'), 600 * 1024);

		const lowered = writeConfig(`${s.prefix}-lowered.json`, {limits: {maxJobDataBytes: 100 * 1024}});
		const refusedHere = await s.cli(['dispatch', QUEUE, 'report.export', '--data', `@${file}`, '--json', '--config', lowered]);
		assert.equal(refusedHere.code, 2, describeResult(refusedHere));
		assert.match(parseJson(refusedHere).error.message, /at most 100 KB \(102,400 bytes\)$/);
		assert.ok(parseJson(refusedHere).error.hint.endsWith(`raise "limits": {"maxJobDataBytes": …} in ${lowered}`), 'the hint names the config file');
	});

	it('a misspelt or too small limit in the config is exit 2 naming the field', async t => {
		const s = scope(t, url);
		const config = writeConfig(`${s.prefix}-bad.json`, {limits: {jobPreviewBytes: 10}});
		const result = await s.cli(['dispatch', QUEUE, 'x', '--config', config]);
		assert.equal(result.code, 2, describeResult(result));
		assert.match(result.stderr, /field "limits\.jobPreviewBytes"/);
	});
});
