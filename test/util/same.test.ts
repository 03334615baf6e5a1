/**
 * sameData (source/common/same.ts): when a refresh's data is the same as the last one's, the
 * console keeps the last rows and does not draw the table again; when anything differs (a count,
 * a tone, a mark, a column's order), it must draw it.
 */
import {describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {sameData} from '../../source/common/same.js';

describe('sameData', () => {
	it('takes rows rebuilt from an unchanged refresh as the same', () => {
		const row = () => ({id: 'emails', cells: ['emails', 'active', '12'], tone: undefined, cellTones: {2: 'bad'}, sortKeys: [null, 'active', 12]});
		assert.equal(sameData([row(), row()], [row(), row()]), true);
		assert.equal(sameData({rows: [row()], marked: new Set([1]), widths: new Map([['a', [1]]])}, {rows: [row()], marked: new Set([1]), widths: new Map([['a', [1]]])}), true);
		assert.equal(sameData(Number.NaN, Number.NaN), true);
	});

	it('sees any difference a screen would show', () => {
		const base = {id: 'emails', cells: ['emails', 'active', '12'], cellTones: {2: 'bad'}};
		assert.equal(sameData(base, {...base, cells: ['emails', 'active', '13']}), false, 'a count');
		assert.equal(sameData(base, {...base, cellTones: {2: 'warn'}}), false, 'a tone');
		assert.equal(sameData(base, {...base, cellTones: {}}), false, 'a tone gone');
		assert.equal(sameData(base, {...base, tone: undefined}), false, 'a key more, even undefined');
		assert.equal(sameData([1, 2], [2, 1]), false, 'the order');
		assert.equal(sameData([1, 2], [1, 2, 3]), false);
		assert.equal(sameData(new Set([1]), new Set([2])), false, 'a mark');
		assert.equal(sameData(new Map([['a', 1]]), new Map([['a', 2]])), false);
		assert.equal(sameData([], {}), false);
		assert.equal(sameData(null, {}), false);
		assert.equal(sameData('1', 1), false);
	});

	it('takes functions and class instances as equal only to themselves', () => {
		const handler = () => undefined;
		assert.equal(sameData({onSelect: handler}, {onSelect: handler}), true);
		assert.equal(sameData({onSelect: () => undefined}, {onSelect: () => undefined}), false);
		assert.equal(sameData(new Date(0), new Date(0)), false);
	});
});
