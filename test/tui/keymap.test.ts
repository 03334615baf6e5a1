/**
 * The one key table: no key means two things in one view, every action a
 * view handles has a key, read-only drops exactly the writing actions, and
 * the README's key table is the generated one.
 */
import {describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {keymap, type Scope} from '../../source/keymap/commands.js';
import {bindings, keyName, resolve} from '../../source/keymap/dispatch.js';
import {keyTableMarkdown} from '../../source/keymap/doc.js';
import {root} from '../helpers/cli.js';

const scopes: Scope[] = ['queues', 'jobs', 'job', 'search', 'workers', 'schedules', 'services', 'logs', 'events'];

describe('keymap', () => {
	it('no key is bound to two actions within a view (its own keys plus the global ones)', () => {
		for (const scope of scopes) {
			const seen = new Map<string, string>();
			for (const action of keymap.filter(entry => entry.scope === scope)) {
				for (const key of action.keys) {
					assert.ok(!seen.has(key), `${scope}: "${key}" is both ${seen.get(key)} and ${action.id}`);
					seen.set(key, action.id);
				}
			}
			// A view key may not shadow a global one silently, except movement/back which views take first by design.
			for (const action of keymap.filter(entry => entry.scope === 'global')) {
				for (const key of action.keys) assert.ok(!seen.has(key), `${scope}: "${key}" shadows the global ${action.id}`);
			}
		}
	});

	it('read-only mode binds no action that writes, and keeps every other one', () => {
		for (const scope of scopes) {
			const all = bindings(scope, false);
			const readOnly = bindings(scope, true);
			assert.deepEqual(readOnly.map(action => action.id), all.filter(action => !action.writes).map(action => action.id));
			for (const action of all.filter(entry => entry.writes)) assert.equal(resolve(action.keys[0]!, scope, true), undefined, `${scope}: ${action.id} still bound in read-only mode`);
		}
		assert.ok(keymap.filter(action => action.dangerous).every(action => action.writes), 'a dangerous action that does not write');
	});

	it('keyName reads Ink keys as the table names them', () => {
		assert.equal(keyName('', {upArrow: true}), 'up');
		assert.equal(keyName('', {tab: true, shift: true}), 'shift-tab');
		assert.equal(keyName('c', {ctrl: true}), 'ctrl-c');
		assert.equal(keyName(' ', {}), 'space');
		// Raw characters, as a chunk of several keys is split.
		assert.equal(keyName('\t', {}), 'tab');
		assert.equal(keyName('\r', {}), 'enter');
		assert.equal(keyName('\u0003', {}), 'ctrl-c');
		assert.equal(keyName('\u0012', {}), 'ctrl-r');
		assert.equal(keyName('R', {shift: true}), 'R');
		assert.equal(resolve('R', 'jobs', false)?.id, 'retry-all');
		assert.equal(resolve('j', 'jobs', false)?.id, 'down');
	});

	it('the README\'s key table is the one generated from the keymap (node scripts/keys-table.js)', () => {
		const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
		assert.ok(readme.includes(keyTableMarkdown()), `README.md does not contain the current key table; replace it with:\n${keyTableMarkdown()}`);
	});
});
