/**
 * Ink's frame, composed row by row, and only the rows that changed (docs/ARCHITECTURE.md,
 * "The console on the terminal").
 *
 * Ink turns a render into text in `Output.get()`: it fills a grid of width × height cells, one
 * object per cell, tokenizes the ANSI styling of every text written into it, and turns every row
 * back into a string. It does all of that on every render, even when only the clock moved: at
 * 200×50 that is 10,000 cell objects a frame, and with the garbage they leave, about three
 * quarters of the console's CPU per refresh (bench/console-terminal.js measures it).
 *
 * `rowCachedGet` gives the same text for the same writes:
 * - it takes the writes as Ink does (its clipping, then its transformers, line by line) and groups
 *   them by row;
 * - a row is a pure function of the terminal width and its writes (x, text), so a row whose writes
 *   were seen in the last two frames is the string composed then (a scrolled table reuses its
 *   rows too); only a new row is composed, cell by cell, exactly as Ink composes it;
 * - a text's styled characters, its width and its clipped slices are kept from one frame to the
 *   next, for what the last two frames used only, so memory stays bounded.
 * It uses the same tokenizer, slicer and width function as Ink, at Ink's versions (package.json
 * pins both). test/tui/ink-output.test.ts compares it with Ink's own `get()` on random frames and
 * on the console's own. It replaces `get()` only on the Ink it was written against: any other
 * version keeps its own.
 */
import {readFileSync} from 'node:fs';
import {ansiCodesToString, diffAnsiCodes, styledCharsFromTokens, tokenize, type AnsiCode, type StyledChar} from '@alcalzone/ansi-tokenize';
import sliceAnsi from 'slice-ansi';
import stringWidth from 'string-width';

/** The Ink whose Output this was written against, and checked against. */
export const SUPPORTED_INK = '6.8.0';

type Clip = {x1?: number; x2?: number; y1?: number; y2?: number};
type Transformer = (line: string, index: number) => string;
type Operation =
	| {type: 'write'; x: number; y: number; text: string; transformers: Transformer[]}
	| {type: 'clip'; clip: Clip}
	| {type: 'unclip'};
/** What `get()` reads of an Ink Output. */
export type OutputState = {width: number; height: number; operations: Operation[]};
export type Frame = {output: string; height: number};
type Get = (this: OutputState) => Frame;
export type InkOutputClass = {
	new (options: {width: number; height: number}): OutputState & {
		write(x: number, y: number, text: string, options: {transformers: Transformer[]}): void;
		clip(clip: Clip): void;
		unclip(): void;
		get(): Frame;
	};
	prototype: {get: Get};
};

/** Values for the keys the last two frames used: a frame's lookups keep an entry one frame more. */
class FrameCache<V> {
	private current = new Map<string, V>();
	private previous = new Map<string, V>();
	constructor(private readonly make: (key: string) => V) {}
	get(key: string, make: (key: string) => V = this.make): V {
		let value = this.current.get(key);
		if (value === undefined) {
			value = this.previous.get(key) ?? make(key);
			this.current.set(key, value);
		}
		return value;
	}
	endFrame(): void {
		this.previous = this.current;
		this.current = new Map();
	}
}

const styledChars = new FrameCache<StyledChar[]>(line => styledCharsFromTokens(tokenize(line)));
const widths = new FrameCache<number>(text => stringWidth(text));
const widestLines = new FrameCache<number>(text => {
	// A loop, not Math.max(...lines): a text of a few hundred thousand lines must not overflow the stack.
	let widest = 0;
	for (const line of text.split('\n')) widest = Math.max(widest, widths.get(line));
	return widest;
});
/** Keys are `from:to:line`; the line starts after the second colon. */
const slices = new FrameCache<string>(key => {
	const first = key.indexOf(':');
	const second = key.indexOf(':', first + 1);
	return sliceAnsi(key.slice(second + 1), Number(key.slice(0, first)), Number(key.slice(first + 1, second)));
});
/** Keys are `width|` then `x:length:line` for each of the row's writes, in order: all a row's text depends on. */
const rows = new FrameCache<string>(() => '');

/** A printable ASCII character is one column wide; anything else is measured as Ink measures it. */
function charWidth(value: string): number {
	if (value.length === 1) {
		const code = value.charCodeAt(0);
		if (code >= 0x20 && code < 0x7f) return 1;
	}
	return widths.get(value);
}

/** Never changed by anyone: the cells only ever point at it. */
const BLANK: StyledChar = {type: 'char', value: ' ', fullWidth: false, styles: []};

/** One row as Ink's get() makes it: blank cells, each write's characters laid from its x, trailing blanks trimmed. */
function composeRow(width: number, writes: Array<[number, string]>): string {
	// As Ink fills it: one blank per column below `width` (a fractional width rounds up).
	const cells: Array<StyledChar | undefined> = [];
	for (let x = 0; x < width; x++) cells.push(BLANK);
	for (const [x, line] of writes) {
		let offsetX = x;
		for (const character of styledChars.get(line)) {
			cells[offsetX] = character;
			const characterWidth = Math.max(1, charWidth(character.value));
			// A wide character covers the cells after it, as in Ink.
			for (let index = 1; index < characterWidth; index++) {
				cells[offsetX + index] = {type: 'char', value: '', fullWidth: false, styles: character.styles};
			}
			offsetX += characterWidth;
		}
	}
	return cellsToString(cells.filter((cell): cell is StyledChar => cell !== undefined)).trimEnd();
}

const sameStyles = (a: AnsiCode[], b: AnsiCode[]) => a === b || (a.length === b.length && a.every((code, index) => code.code === b[index]!.code && code.endCode === b[index]!.endCode));

/**
 * The tokenizer's styledCharsToString without its work between two characters of one style (the
 * diff of equal styles is empty): the codes where the style changes, and a reset at the end.
 */
function cellsToString(cells: StyledChar[]): string {
	let text = '';
	let styles: AnsiCode[] = [];
	for (const cell of cells) {
		if (!sameStyles(styles, cell.styles)) text += ansiCodesToString(diffAnsiCodes(styles, cell.styles));
		styles = cell.styles;
		text += cell.value;
	}
	return styles.length > 0 ? text + ansiCodesToString(diffAnsiCodes(styles, [])) : text;
}

/** Ink's Output.get(), the same text, composing only rows not seen in the last two frames. */
export function rowCachedGet(this: OutputState): Frame {
	const {width, height} = this;
	const keys: string[] = Array.from({length: height}, () => `${width}|`);
	const writes: Array<Array<[number, string]>> = Array.from({length: height}, () => []);
	const clips: Clip[] = [];
	for (const operation of this.operations) {
		if (operation.type === 'clip') clips.push(operation.clip);
		if (operation.type === 'unclip') clips.pop();
		if (operation.type !== 'write') continue;
		// From here to the transformers, Ink's own steps, in its order.
		const {text, transformers} = operation;
		let {x, y} = operation;
		let lines = text.split('\n');
		const clip = clips.at(-1);
		if (clip) {
			const clipHorizontally = typeof clip.x1 === 'number' && typeof clip.x2 === 'number';
			const clipVertically = typeof clip.y1 === 'number' && typeof clip.y2 === 'number';
			if (clipHorizontally && (x + widestLines.get(text) < clip.x1! || x > clip.x2!)) continue;
			if (clipVertically && (y + lines.length < clip.y1! || y > clip.y2!)) continue;
			if (clipHorizontally) {
				const x1 = clip.x1!;
				const x2 = clip.x2!;
				lines = lines.map(line => {
					const from = x < x1 ? x1 - x : 0;
					const lineWidth = widths.get(line);
					const to = x + lineWidth > x2 ? x2 - x : lineWidth;
					return slices.get(`${from}:${to}:${line}`);
				});
				if (x < x1) x = x1;
			}
			if (clipVertically) {
				const y1 = clip.y1!;
				const y2 = clip.y2!;
				const from = y < y1 ? y1 - y : 0;
				const to = y + lines.length > y2 ? y2 - y : lines.length;
				lines = lines.slice(from, to);
				if (y < y1) y = y1;
			}
		}
		let offsetY = 0;
		for (const [index, clipped] of lines.entries()) {
			const row = y + offsetY;
			// Ink looks the row up in an array of `height` rows: a line off the frame is skipped, and
			// so, since the row it tries does not move, is every line after it.
			if (!Number.isInteger(row) || row < 0 || row >= height) continue;
			let line = clipped;
			for (const transformer of transformers) line = transformer(line, index);
			keys[row] += `${x}:${line.length}:${line}`;
			writes[row]!.push([x, line]);
			offsetY++;
		}
	}
	const output = keys.map((key, row) => rows.get(key, () => composeRow(width, writes[row]!))).join('\n');
	for (const cache of [rows, styledChars, widths, widestLines, slices]) cache.endFrame();
	return {output, height};
}

let inkOutput: Promise<{Output: InkOutputClass; inkGet: Get} | undefined> | undefined;

/** Ink's Output class and its own get(), kept before anything replaces it; undefined on an Ink other than SUPPORTED_INK. */
export function loadInkOutput(): Promise<{Output: InkOutputClass; inkGet: Get} | undefined> {
	inkOutput ??= (async () => {
		// Ink exports only its entry; its Output is the module beside it (the same instance Ink renders with).
		const entry = import.meta.resolve('ink');
		const {version} = JSON.parse(readFileSync(new URL('../package.json', entry), 'utf8')) as {version: string};
		if (version !== SUPPORTED_INK) return undefined;
		const {default: Output} = (await import(new URL('output.js', entry).href)) as {default: InkOutputClass};
		if (typeof Output?.prototype?.get !== 'function') return undefined;
		return {Output, inkGet: Output.prototype.get};
	})();
	return inkOutput;
}

/** Ink composes its frames with rowCachedGet from now on; false (and Ink's own get) on any other Ink. */
export async function installRowCachedOutput(): Promise<boolean> {
	const ink = await loadInkOutput();
	if (ink === undefined) return false;
	ink.Output.prototype.get = rowCachedGet;
	return true;
}
