/**
 * Only changed lines reach the terminal: a frame that differs from the last in one line costs
 * that line (at its row), not the screen; a frame that is shorter clears the rows it left; a
 * clear of the screen makes the next frame whole; what is not a frame passes through.
 */
import {describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {createFrameDiffer} from '../../source/tui/frame-diff.js';

/** eraseLines(n) as Ink writes it. */
const erase = (lines: number) => `${'\u001B[2K\u001B[1A'.repeat(Math.max(0, lines - 1))}\u001B[2K\u001B[G`;
const frame = (lines: string[]) => `${lines.join('\n')}\n`;

describe('frame diff', () => {
	it('the first frame whole; the next one only the line that changed, at its row', () => {
		const diff = createFrameDiffer();
		const first = ['header', 'updated 12:00:00', 'high 3', 'emails 0'];
		const whole = diff(frame(first));
		for (const [row, line] of first.entries()) assert.ok(whole.includes(`\u001B[${row + 1};1H${line}\u001B[K`), `row ${row + 1}`);
		const second = ['header', 'updated 12:00:02', 'high 3', 'emails 0'];
		const written = diff(erase(first.length + 1) + frame(second));
		assert.equal(written, '\u001B[2;1Hupdated 12:00:02\u001B[K\u001B[5;1H');
	});

	it('a shorter frame clears the rows it no longer uses; nothing changed writes nothing but the cursor', () => {
		const diff = createFrameDiffer();
		diff(frame(['a', 'b', 'c']));
		assert.equal(diff(erase(4) + frame(['a', 'b'])), '\u001B[3;1H\u001B[K\u001B[3;1H');
		assert.equal(diff(erase(3) + frame(['a', 'b'])), '\u001B[3;1H');
	});

	it('a clear of the screen passes through, and the frame after it is whole', () => {
		const diff = createFrameDiffer();
		diff(frame(['a', 'b']));
		assert.equal(diff('\u001B[?1049h\u001B[2J\u001B[H'), '\u001B[?1049h\u001B[2J\u001B[H');
		const again = diff(erase(3) + frame(['a', 'b']));
		assert.ok(again.includes('\u001B[1;1Ha\u001B[K') && again.includes('\u001B[2;1Hb\u001B[K'));
	});

	it('what is not a frame passes through untouched (the cursor hidden, a bell)', () => {
		const diff = createFrameDiffer();
		diff(frame(['a']));
		assert.equal(diff('\u001B[?25l'), '\u001B[?25l');
		assert.equal(diff('\u0007'), '\u0007');
	});

	it('after a resize (reset) the next frame clears the screen and is written whole', () => {
		const diff = createFrameDiffer();
		diff(frame(['a', 'b']));
		diff.reset();
		const again = diff(erase(3) + frame(['a', 'b']));
		assert.ok(again.startsWith('\u001B[2J'), JSON.stringify(again));
		assert.ok(again.includes('\u001B[1;1Ha\u001B[K') && again.includes('\u001B[2;1Hb\u001B[K'));
		assert.equal(diff(erase(3) + frame(['a', 'b'])), '\u001B[3;1H', 'and only the first one');
	});
});
