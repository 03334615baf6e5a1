/**
 * The console's frames are the same text with the row cache as with Ink's own Output.get()
 * (source/tui/ink-output.ts): on a seeded sequence of random frames, each a few edits away from
 * the one before (styled, wide and combining characters, clips, transformers, writes off the
 * frame, resizes), so that rows come both from the cache and fresh; on writes drawn again and
 * then changed in one row; and on the console's own frames (the queues view with hundreds of
 * queues, scrolled, sorted, filtered, and the help overlay) at several terminal sizes.
 */
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {isDeepStrictEqual} from 'node:util';
import {loadInkOutput, rowCachedGet, type Frame, type InkOutputClass, type OutputState} from '../../source/tui/ink-output.js';

type Output = InstanceType<InkOutputClass>;
type Clip = Parameters<Output['clip']>[0];
type TransformerKind = 'green' | 'upper-odd' | 'inverse-first' | 'numbered';
type Operation =
	| {type: 'write'; x: number; y: number; text: string; transformers: TransformerKind[]}
	| {type: 'clip'; clip: Clip}
	| {type: 'unclip'};
type Drawing = {width: number; height: number; operations: Operation[]};

/** Another sequence: INK_OUTPUT_SEED=n node test/run.js ink-output. */
const SEED = Number(process.env.INK_OUTPUT_SEED ?? 0x5eed_1e55);
const FRAMES = 400;

/** mulberry32: a small seeded PRNG, so that a failing frame can be drawn again. */
function mulberry32(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
	};
}

/** A transformer as Ink makes them: a fresh closure for every render. */
function transformer(kind: TransformerKind): (line: string, index: number) => string {
	switch (kind) {
		case 'green': return line => `\u001B[32m${line}\u001B[39m`;
		case 'upper-odd': return (line, index) => (index % 2 ? line.toUpperCase() : line);
		case 'inverse-first': return (line, index) => (index === 0 ? `\u001B[7m${line}\u001B[27m` : line);
		case 'numbered': return (line, index) => `${index}│${line}`;
	}
}

/** Draws the operations into a fresh Output, through its own write/clip/unclip. */
function draw(OutputClass: InkOutputClass, drawing: Drawing): Output {
	const output = new OutputClass({width: drawing.width, height: drawing.height});
	for (const operation of drawing.operations) {
		if (operation.type === 'write') output.write(operation.x, operation.y, operation.text, {transformers: operation.transformers.map(transformer)});
		else if (operation.type === 'clip') output.clip({...operation.clip});
		else output.unclip();
	}
	return output;
}

/** Where two frames first differ, for a message that shows the row rather than the whole screen. */
function difference(actual: Frame, expected: Frame): string {
	if (actual.height !== expected.height) return `height ${actual.height}, Ink's ${expected.height}`;
	const ours = actual.output.split('\n');
	const inks = expected.output.split('\n');
	for (let row = 0; row < Math.max(ours.length, inks.length); row++) {
		if (ours[row] !== inks[row]) return `row ${row}: ${JSON.stringify(ours[row])}, Ink's ${JSON.stringify(inks[row])}`;
	}
	return 'no difference';
}

const inkOutput = async () => {
	const ink = await loadInkOutput();
	assert.ok(ink, 'loadInkOutput() finds the Ink it was written against');
	return ink;
};

/** The pieces texts are made of: plain, styled (opened, closed, left open), wide, combining, box-drawing, linked. */
const PIECES = [
	'high', 'emails', 'queue 42', 'x', ' ', '   ', '12,345', 'active', 'WAITING', '[', ']',
	'\u001B[31m', '\u001B[1m', '\u001B[7m', '\u001B[2m', '\u001B[4m', '\u001B[38;5;208m', '\u001B[48;2;20;40;80m', '\u001B[90m',
	'\u001B[39m', '\u001B[22m', '\u001B[27m', '\u001B[24m', '\u001B[49m', '\u001B[0m', '\u001B[m',
	'\u001B[31mred\u001B[39m', '\u001B[1mbold', '\u001B[7m inverse \u001B[27m',
	'漢字', '表', '🚀', '👍🏽', 'e\u0301', 'a\u0308o', '│', '─', '▸', '┌──┐', '└─', '↓', '…', '✓',
	'\u001B]8;;https://example.com\u0007link\u001B]8;;\u0007',
];

function makeGenerator(random: () => number) {
	const integer = (from: number, to: number) => from + Math.floor(random() * (to - from + 1));
	const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)]!;
	const chance = (probability: number) => random() < probability;

	const line = () => Array.from({length: integer(1, 6)}, () => pick(PIECES)).join('');
	/** Mostly one line; sometimes several, some of them empty. */
	const text = () => (chance(0.65) ? line() : Array.from({length: integer(2, 5)}, () => (chance(0.2) ? '' : line())).join('\n'));
	/** Inside, on the edges, before the start and past the end. */
	const position = (size: number) => (chance(0.6) ? integer(0, Math.max(0, size - 1)) : pick([-3, -1, 0, size - 2, size - 1, size, size + 4]));
	const transformers = (): TransformerKind[] => (chance(0.7) ? [] : Array.from({length: integer(1, 2)}, () => pick(['green', 'upper-odd', 'inverse-first', 'numbered'] as const)));
	const write = (drawing: Drawing): Operation => ({type: 'write', x: position(drawing.width), y: position(drawing.height), text: text(), transformers: transformers()});
	/** Horizontal only, vertical only, or both; edges anywhere, so that some cut through wide or styled characters. */
	const clip = (drawing: Drawing): Clip => {
		const x1 = integer(-2, drawing.width);
		const y1 = integer(-2, drawing.height);
		const horizontal = {x1, x2: x1 + integer(0, drawing.width)};
		const vertical = {y1, y2: y1 + integer(0, drawing.height)};
		const kind = integer(0, 2);
		return kind === 0 ? horizontal : kind === 1 ? vertical : {...horizontal, ...vertical};
	};

	const first = (): Drawing => {
		const drawing: Drawing = {width: integer(20, 120), height: integer(1, 30), operations: []};
		// A table's rows, as the console draws them, and a few writes anywhere.
		for (let row = 0; row < drawing.height; row++) drawing.operations.push({type: 'write', x: 0, y: row, text: line(), transformers: []});
		for (let index = integer(2, 8); index > 0; index--) drawing.operations.push(write(drawing));
		return drawing;
	};

	const writes = (drawing: Drawing) => drawing.operations.flatMap((operation, index) => (operation.type === 'write' ? [index] : []));
	/** The index of the unclip that closes the clip at `index`, if any. */
	const closing = (operations: Operation[], index: number) => {
		let depth = 0;
		for (let at = index; at < operations.length; at++) {
			const type = operations[at]!.type;
			if (type === 'clip') depth++;
			if (type === 'unclip' && --depth === 0) return at;
		}
		return undefined;
	};
	const clone = (drawing: Drawing): Drawing => ({...drawing, operations: drawing.operations.map(operation => structuredClone(operation))});

	/** A few edits to the last frame (or a return to the one before it). */
	const next = (previous: Drawing, beforePrevious: Drawing | undefined): {drawing: Drawing; edits: string[]} => {
		if (beforePrevious && chance(0.08)) return {drawing: clone(beforePrevious), edits: ['the frame before the last, again']};
		const drawing = clone(previous);
		const edits: string[] = [];
		for (let count = integer(0, 3); count > 0; count--) {
			const {operations} = drawing;
			const written = writes(drawing);
			const at = written.length > 0 ? pick(written) : undefined;
			const target = at === undefined ? undefined : (operations[at] as Extract<Operation, {type: 'write'}>);
			const edit = pick(['text', 'text', 'x', 'y', 'add', 'remove', 'clip', 'unclip', 'transformers', 'scroll', 'resize', 'width'] as const);
			edits.push(edit);
			if (edit === 'text' && target) target.text = chance(0.5) ? text() : target.text + pick(PIECES);
			if (edit === 'x' && target) target.x = chance(0.5) ? target.x + integer(-3, 3) : position(drawing.width);
			if (edit === 'y' && target) target.y = chance(0.5) ? target.y + integer(-2, 2) : position(drawing.height);
			if (edit === 'add') operations.splice(integer(0, operations.length), 0, write(drawing));
			if (edit === 'remove' && at !== undefined) operations.splice(at, 1);
			if (edit === 'clip') {
				// Around a few of the operations: nested in a clip that is there, or not.
				const from = integer(0, operations.length);
				const to = Math.min(operations.length, from + integer(0, 6));
				operations.splice(to, 0, {type: 'unclip'});
				operations.splice(from, 0, {type: 'clip', clip: clip(drawing)});
			}
			if (edit === 'unclip') {
				const clips = operations.flatMap((operation, index) => (operation.type === 'clip' ? [index] : []));
				if (clips.length > 0) {
					const index = pick(clips);
					const end = closing(operations, index);
					if (end !== undefined) operations.splice(end, 1);
					operations.splice(index, 1);
				}
			}
			if (edit === 'transformers' && target) target.transformers = transformers();
			// A scrolled table: the same rows, one row up or down.
			if (edit === 'scroll') {
				const by = pick([-1, 1]);
				for (const operation of operations) if (operation.type === 'write') operation.y += by;
			}
			if (edit === 'resize') {
				drawing.width = integer(20, 120);
				drawing.height = integer(1, 30);
			}
			// The same writes at another width: a row with a write past its end is another text.
			if (edit === 'width') drawing.width = Math.max(1, drawing.width + pick([-7, -1, 1, 5]));
		}
		return {drawing, edits};
	};
	return {first, next};
}

test('random frames, each a few edits from the last: the row-cached get() gives exactly what Ink\'s get() gives', async () => {
	const {Output, inkGet} = await inkOutput();
	const generator = makeGenerator(mulberry32(SEED));
	const drawings: Drawing[] = [generator.first()];
	const edits: string[][] = [['first']];
	while (drawings.length < FRAMES) {
		const {drawing, edits: made} = generator.next(drawings.at(-1)!, drawings.at(-2));
		drawings.push(drawing);
		edits.push(made);
	}
	// Rows as drawn in the last two frames (with the width), to tell repeated rows from new ones.
	let recent: Array<Set<string>> = [];
	let repeated = 0;
	let fresh = 0;
	for (const [index, drawing] of drawings.entries()) {
		const output = draw(Output, drawing);
		const expected = inkGet.call(output);
		const actual = rowCachedGet.call(output);
		assert.deepStrictEqual(actual, expected, `seed ${SEED}, frame ${index} (${drawing.width}×${drawing.height}, after ${edits[index]!.join(', ') || 'no edit'}): ${difference(actual, expected)}\noperations: ${JSON.stringify(drawing.operations)}`);
		const rows = new Set(expected.output.split('\n').map(row => `${drawing.width}|${row}`));
		for (const row of rows) {
			if (recent.some(frame => frame.has(row))) repeated++;
			else fresh++;
		}
		recent = [rows, ...recent].slice(0, 2);
	}
	// The sequence is what it is meant to be: rows that come back from the last two frames, and new ones.
	const total = repeated + fresh;
	assert.ok(repeated > total * 0.4 && fresh > total * 0.1, `seed ${SEED}: ${repeated} repeated rows, ${fresh} new ones`);
	// And it has all it is meant to have.
	const operations = drawings.flatMap(drawing => drawing.operations);
	const written = operations.flatMap(operation => (operation.type === 'write' ? [operation] : []));
	const clips = operations.flatMap(operation => (operation.type === 'clip' ? [operation.clip] : []));
	const coverage = {
		'wide characters': written.some(operation => /漢字|🚀/.test(operation.text)),
		'combining marks': written.some(operation => operation.text.includes('\u0301')),
		'multi-line texts with empty lines': written.some(operation => operation.text.includes('\n\n')),
		'negative positions': written.some(operation => operation.x < 0) && written.some(operation => operation.y < 0),
		'writes past the width and height': drawings.some(drawing => drawing.operations.some(operation => operation.type === 'write' && operation.x >= drawing.width)) && drawings.some(drawing => drawing.operations.some(operation => operation.type === 'write' && operation.y >= drawing.height)),
		'transformers': written.some(operation => operation.transformers.length > 0),
		'horizontal clips': clips.some(clip => clip.x1 !== undefined && clip.y1 === undefined),
		'vertical clips': clips.some(clip => clip.y1 !== undefined && clip.x1 === undefined),
		'clips both ways': clips.some(clip => clip.x1 !== undefined && clip.y1 !== undefined),
		'nested clips': drawings.some(drawing => {
			let depth = 0;
			return drawing.operations.some(operation => (depth += operation.type === 'clip' ? 1 : operation.type === 'unclip' ? -1 : 0) > 1);
		}),
		'a width change alone': drawings.some((drawing, index) => index > 0 && drawing.width !== drawings[index - 1]!.width && isDeepStrictEqual(drawing.operations, drawings[index - 1]!.operations)),
	};
	assert.deepStrictEqual(Object.entries(coverage).filter(([, covered]) => !covered).map(([what]) => what), [], `seed ${SEED}: the sequence lacks these`);
});

test('the same writes drawn again give the same frame; one write changed changes only its row', async () => {
	const {Output, inkGet} = await inkOutput();
	const rows = ['▸ high      \u001B[32mactive\u001B[39m  12', '  emails    \u001B[31mfailed\u001B[39m   7', '  漢字      active   0', '  🚀 launch paused   3'];
	const drawing = (changed?: string): Drawing => ({
		width: 40,
		height: 6,
		operations: [
			{type: 'write', x: 0, y: 0, text: '\u001B[1mQUEUE     STATE   WAITING\u001B[22m', transformers: []},
			...rows.map((text, index): Operation => ({type: 'write', x: 0, y: index + 1, text: index === 1 && changed ? changed : text, transformers: []})),
			{type: 'write', x: 30, y: 5, text: '12:00:00', transformers: ['green']},
		],
	});
	const first = rowCachedGet.call(draw(Output, drawing()));
	assert.deepStrictEqual(first, inkGet.call(draw(Output, drawing())));
	assert.equal(first.height, 6);
	assert.equal(first.output.split('\n')[1], '▸ high      \u001B[32mactive\u001B[39m  12');
	const again = rowCachedGet.call(draw(Output, drawing()));
	assert.deepStrictEqual(again, first);

	const changedRow = '  emails    \u001B[31mfailed\u001B[39m   8';
	const changed = rowCachedGet.call(draw(Output, drawing(changedRow)));
	assert.deepStrictEqual(changed, inkGet.call(draw(Output, drawing(changedRow))));
	const before = first.output.split('\n');
	const after = changed.output.split('\n');
	assert.deepStrictEqual(after.flatMap((row, index) => (row === before[index] ? [] : [index])), [2], 'only the changed row differs');
	assert.equal(after[2], changedRow);
	// And back: the first frame's rows are still kept.
	assert.deepStrictEqual(rowCachedGet.call(draw(Output, drawing())), first);

	// A write past the end of the row: the same writes at another width are another text, as in Ink.
	const past = (width: number): Drawing => ({width, height: 1, operations: [{type: 'write', x: 0, y: 0, text: 'ab', transformers: []}, {type: 'write', x: 15, y: 0, text: 'cd', transformers: []}]});
	const narrow = rowCachedGet.call(draw(Output, past(10)));
	const wider = rowCachedGet.call(draw(Output, past(12)));
	assert.deepStrictEqual(narrow, inkGet.call(draw(Output, past(10))));
	assert.deepStrictEqual(wider, inkGet.call(draw(Output, past(12))));
	assert.equal(narrow.output, `ab${' '.repeat(8)}cd`);
	assert.equal(wider.output, `ab${' '.repeat(10)}cd`);
});

test('a text of 200,000 lines in a clip, and a fractional width, give what Ink gives instead of throwing', async () => {
	const {Output, inkGet} = await inkOutput();
	const tall: Drawing = {width: 10, height: 2, operations: [{type: 'clip', clip: {x1: 0, x2: 5}}, {type: 'write', x: 0, y: 0, text: 'a\n'.repeat(200_000), transformers: []}, {type: 'unclip'}]};
	assert.deepStrictEqual(rowCachedGet.call(draw(Output, tall)), inkGet.call(draw(Output, tall)));
	assert.equal(rowCachedGet.call(draw(Output, tall)).output, 'a\na');
	const fractional: Drawing = {width: 10.5, height: 2, operations: [{type: 'write', x: 0, y: 0, text: 'abc', transformers: []}]};
	assert.deepStrictEqual(rowCachedGet.call(draw(Output, fractional)), inkGet.call(draw(Output, fractional)));
});

test('the console\'s own frames (many queues, scrolled, sorted, filtered, the help overlay, several sizes) are the same with the row cache', async () => {
	const {Output, inkGet} = await inkOutput();
	// Ink's colours are decided as its colour library loads: force them on (this file's process
	// only), so that the frames carry the console's styling as on a terminal.
	const forceColor = process.env.FORCE_COLOR;
	process.env.FORCE_COLOR = '3';
	const {fixtureApi, renderConsole, snapshotOf} = await import('../helpers/console.js');
	if (forceColor === undefined) delete process.env.FORCE_COLOR;
	else process.env.FORCE_COLOR = forceColor;

	const queues = Array.from({length: 240}, (_, index) => ({
		name: index % 17 === 3 ? `漢字-${index}` : index % 23 === 5 ? `🚀-launch-${index}` : `queue-${String(index).padStart(3, '0')}`,
		failed: (index * 7) % 11 === 0 ? index : 0,
		waiting: (index * 13) % 97,
		paused: index % 19 === 0,
	}));
	const snapshot = snapshotOf(queues);
	const saved = Output.prototype.get;
	let frames = 0;
	let styled = 0;
	const mismatches: string[] = [];
	// Ink's get() for Ink, and both compared: a throw inside Ink's render would be lost, so collect.
	Output.prototype.get = function (this: OutputState): Frame {
		const expected = inkGet.call(this);
		frames++;
		if (expected.output.includes('\u001B[')) styled++;
		try {
			const actual = rowCachedGet.call(this);
			if (!isDeepStrictEqual(actual, expected)) mismatches.push(`frame ${frames} (${this.width}×${this.height}): ${difference(actual, expected)}`);
		} catch (error) {
			mismatches.push(`frame ${frames} (${this.width}×${this.height}): ${String(error)}`);
		}
		return expected;
	};
	try {
		for (const size of [{columns: 140, rows: 30}, {columns: 220, rows: 50}, {columns: 80, rows: 24}]) {
			const harness = await renderConsole(fixtureApi({snapshot: async () => snapshot}), {view: 'queues'}, size);
			try {
				await harness.waitFor(text => text.includes('queue-001'), `the queue table at ${size.columns}×${size.rows}`);
				await harness.press('page-down', 'queues');
				await harness.press('page-down', 'queues');
				await harness.waitFor(text => !text.includes('queue-001'), 'the table scrolled by a page');
				await harness.press('down', 'queues');
				await harness.press('sort', 'queues');
				await harness.press('sort', 'queues');
				await harness.press('reverse-sort', 'queues');
				await harness.press('problems', 'queues');
				await harness.press('bottom', 'queues');
				await harness.press('page-up', 'queues');
				await harness.press('help', 'queues');
				await harness.waitFor(text => text.includes('Keys'), 'the help overlay');
				await harness.key('escape');
				await harness.press('filter', 'queues');
				await harness.type('2');
				await harness.key('enter');
				await harness.key('escape');
				await harness.press('top', 'queues');
			} finally {
				harness.unmount();
			}
		}
	} finally {
		Output.prototype.get = saved;
	}
	assert.ok(frames > 5, `only ${frames} frames`);
	assert.ok(styled > 5, `only ${styled} of ${frames} frames were styled`);
	assert.deepStrictEqual(mismatches, [], `${mismatches.length} of ${frames} frames differ`);
});
