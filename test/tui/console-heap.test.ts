/**
 * The console keeps its V8 heap small (source/tui/console-heap.ts): in a child process
 * that allocates as a console's refreshes do, the young generation doubles without the
 * settings and keeps its size with them, and the old generation's peak is about half of
 * what it is with the young-generation flag alone — on this Node's real V8, so an upgrade
 * that stops honouring a flag fails here, not only in bench/console-terminal.js.
 */
import {describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {keepConsoleHeapSmall} from '../../source/tui/console-heap.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const child = path.join(root, 'test/fixtures/console-heap-child.ts');
const MiB = 1024 * 1024;

type Heap = {applied: boolean; before: number; after: number; oldPeak: number};

function run(mode: 'on' | 'off' | 'young'): Heap {
	const env = {...process.env};
	delete env['NODE_OPTIONS'];
	return JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', child, mode], {cwd: root, env, encoding: 'utf8', timeout: 60_000})) as Heap;
}

describe("the console's heap", () => {
	it('keeps the young generation at its size, and collects promoted garbage sooner', () => {
		const off = run('off');
		assert.equal(off.applied, false);
		assert.ok(off.after >= 2 * off.before, `without: young generation ${off.before} → ${off.after} bytes, expected it to double at least`);
		const on = run('on');
		assert.equal(on.applied, true);
		assert.equal(on.after, on.before, `with: young generation ${on.before} → ${on.after} bytes`);
		assert.ok(on.after <= 4 * MiB, `with: ${on.after} bytes of young generation`);
		const young = run('young');
		assert.ok(on.oldPeak * 1.5 <= young.oldPeak, `old generation peak ${(on.oldPeak / MiB).toFixed(1)} MiB with both flags, ${(young.oldPeak / MiB).toFixed(1)} MiB with the young-generation flag alone`);
	});

	it("leaves an operator's own flags and an unknown V8 alone", () => {
		const node20 = {...process.versions, v8: '11.3.244.8-node.33'};
		assert.equal(keepConsoleHeapSmall(node20, '--max-semi-space-size=8 '), false);
		assert.equal(keepConsoleHeapSmall(node20, ' --semi_space_growth_factor=4'), false);
		assert.equal(keepConsoleHeapSmall(node20, ' --heap-growing-percent=50'), false);
		assert.equal(keepConsoleHeapSmall({...process.versions, v8: '14.0.1'}, ' '), false);
	});
});
