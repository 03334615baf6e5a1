/**
 * The console holds V8's young generation at its size (source/tui/young-generation.ts):
 * in a child process that allocates as a console's refreshes do, the young generation
 * doubles without it and keeps its size with it — on this Node's real V8, so an upgrade
 * that stops honouring the flag fails here, not only in bench/console-terminal.js.
 */
import {describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {keepYoungGenerationSmall} from '../../source/tui/young-generation.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const child = path.join(root, 'test/fixtures/young-generation-child.ts');

function run(mode: 'on' | 'off'): {applied: boolean; before: number; after: number} {
	const env = {...process.env};
	delete env['NODE_OPTIONS'];
	return JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', child, mode], {cwd: root, env, encoding: 'utf8', timeout: 60_000}));
}

describe('the young generation while the console runs', () => {
	it('grows under a refresh-like load without the flag, and keeps its size with it', () => {
		const off = run('off');
		assert.equal(off.applied, false);
		assert.ok(off.after >= 2 * off.before, `without: ${off.before} → ${off.after} bytes, expected it to double at least`);
		const on = run('on');
		assert.equal(on.applied, true);
		assert.equal(on.after, on.before, `with: ${on.before} → ${on.after} bytes`);
		assert.ok(on.after <= 4 * 1024 * 1024, `with: ${on.after} bytes of young generation when the console opens`);
	});

	it("leaves an operator's own semi-space flags and an unknown V8 alone", () => {
		const node20 = {...process.versions, v8: '11.3.244.8-node.33'};
		assert.equal(keepYoungGenerationSmall(node20, '--max-semi-space-size=8 '), false);
		assert.equal(keepYoungGenerationSmall(node20, ' --semi_space_growth_factor=4'), false);
		assert.equal(keepYoungGenerationSmall({...process.versions, v8: '14.0.1'}, ' '), false);
	});
});
