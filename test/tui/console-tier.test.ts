/**
 * The console runs on V8's baseline code until it is busy (source/tui/console-tier.ts), on
 * this Node's real V8, in child processes: a hot function is not optimized while the console
 * is light, an idle event loop is never taken for a busy one, and once an interval was busy
 * TurboFan optimizes it again. An upgrade that stops honouring `--no-turbofan` at run time, or
 * `--turbofan` after it, fails here.
 */
import {describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {keepConsoleJitLight} from '../../source/tui/console-tier.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const child = path.join(root, 'test/fixtures/console-tier-child.ts');

type Tier = {applied: boolean; idle: boolean; light: boolean; optimizing: boolean; busyShare?: number; busy: boolean};

function run(mode: 'light' | 'chosen'): Tier {
	const env = {...process.env};
	delete env['NODE_OPTIONS'];
	return JSON.parse(execFileSync(process.execPath, ['--allow-natives-syntax', '--import', 'tsx', child, mode], {cwd: root, env, encoding: 'utf8', timeout: 60_000})) as Tier;
}

describe("the console's compiler tier", () => {
	it('keeps a hot function on baseline code until the event loop is busy, then optimizes it', () => {
		const tier = run('light');
		assert.equal(tier.applied, true);
		assert.equal(tier.idle, false, 'an idle event loop was judged busy');
		assert.equal(tier.light, false, 'TurboFan optimized the hot function while the console was light');
		assert.equal(tier.optimizing, true, 'a busy interval did not turn TurboFan back on');
		assert.ok((tier.busyShare ?? 0) >= 0.5, `busy share ${tier.busyShare}`);
		assert.equal(tier.busy, true, 'TurboFan did not optimize the hot function once it was back on');
	});

	it("leaves V8's own tiering when the operator chose a compiler flag", () => {
		const tier = run('chosen');
		assert.equal(tier.applied, false);
		assert.equal(tier.busy, true, 'with V8 as it is, TurboFan did not optimize the hot function');
	});

	it('reads every compiler flag as a choice, and an unknown V8 as a reason to do nothing', () => {
		const node20 = {...process.versions, v8: '11.3.244.8-node.33'};
		for (const chosen of [' --no-opt', ' --turbofan', ' --no-turbofan', '--maglev ', ' --jitless', ' --no-sparkplug']) {
			assert.equal(keepConsoleJitLight({versions: node20, chosen}), undefined, chosen);
		}
		assert.equal(keepConsoleJitLight({versions: {...process.versions, v8: '14.0.1'}, chosen: ' '}), undefined);
		assert.equal(keepConsoleJitLight({versions: {...process.versions, v8: '10.2.154.26-node.26'}, chosen: ' '}), undefined, 'V8 10 has no --turbofan');
	});
});
