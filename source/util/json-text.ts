/**
 * JSON text handled as text, a chunk at a time, without parsing it: a job's
 * data of 20 MB is pretty-printed into the pager's file a chunk per turn of
 * the event loop (JSON.parse of it alone blocks for a quarter of a second,
 * and ^C and SIGTERM with it), and the first 64 KB of it — which no parser
 * takes, being cut — are laid out the same way. Every function here is linear
 * in its input and keeps a few flags of state between chunks.
 */

/** Deeper levels are indented no further: `[[[[…` must not turn 64 KB into gigabytes of spaces. */
const MAX_INDENT_LEVELS = 16;
const INDENTS = Array.from({length: MAX_INDENT_LEVELS + 1}, (_, level) => `\n${'  '.repeat(level)}`);
const newline = (level: number): string => INDENTS[Math.max(0, Math.min(level, MAX_INDENT_LEVELS))]!;

const QUOTE = 34;
const BACKSLASH = 92;

/** Whitespace, or a character that ends a bare literal (number, true, false, null). */
const isBreak = (code: number): boolean => code <= 32 || code === 44 || code === 58 || code === 91 || code === 93 || code === 123 || code === 125 || code === QUOTE;

/**
 * A pretty-printer fed JSON text in chunks (cut anywhere): each call returns
 * the next part of the text as JSON.stringify(value, null, 2) would lay it
 * out. Input that stops early (a preview) simply stops; input that is not
 * JSON comes out re-spaced, never refused.
 */
export function createJsonPrettifier(): (chunk: string) => string {
	let depth = 0;
	let inString = false;
	let escaped = false;
	/** `{` or `[` was the last token: an empty one closes on the same line. */
	let opened = false;
	return chunk => {
		const out: string[] = [];
		let index = 0;
		while (index < chunk.length) {
			if (inString) {
				let end = index;
				for (; end < chunk.length; end++) {
					const code = chunk.charCodeAt(end);
					if (escaped) escaped = false;
					else if (code === BACKSLASH) escaped = true;
					else if (code === QUOTE) {
						inString = false;
						end++;
						break;
					}
				}
				out.push(chunk.slice(index, end));
				index = end;
				continue;
			}
			const code = chunk.charCodeAt(index);
			if (code <= 32) {
				index++;
				continue;
			}
			const char = chunk[index]!;
			if (opened) {
				opened = false;
				if (char === '}' || char === ']') {
					depth--;
					out.push(char);
					index++;
					continue;
				}
				out.push(newline(depth));
			}
			switch (char) {
				case '{':
				case '[':
					out.push(char);
					depth++;
					opened = true;
					break;
				case '}':
				case ']':
					depth = Math.max(0, depth - 1);
					out.push(newline(depth), char);
					break;
				case ',':
					out.push(',', newline(depth));
					break;
				case ':':
					out.push(': ');
					break;
				case '"':
					inString = true;
					out.push('"');
					break;
				default: {
					let end = index + 1;
					while (end < chunk.length && !isBreak(chunk.charCodeAt(end))) end++;
					out.push(chunk.slice(index, end));
					index = end;
					continue;
				}
			}
			index++;
		}
		return out.join('');
	};
}

const ESCAPES: Record<string, string> = {n: '\n', t: '\t', r: '\r', b: '\b', f: '\f'};

/**
 * Decodes a JSON array of strings (BullMQ's stack traces) fed in chunks, cut
 * anywhere: the strings' text, unescaped, `separator` between two of them.
 * What is not inside a string (brackets, commas) is skipped.
 */
export function createStringArrayDecoder(separator: string): (chunk: string) => string {
	let inString = false;
	let escaped = false;
	let hex: string | undefined;
	let count = 0;
	return chunk => {
		const out: string[] = [];
		let index = 0;
		while (index < chunk.length) {
			const char = chunk[index]!;
			if (!inString) {
				if (char === '"') {
					inString = true;
					if (count++ > 0) out.push(separator);
				}
				index++;
				continue;
			}
			if (hex !== undefined) {
				hex += char;
				if (hex.length === 4) {
					const code = Number.parseInt(hex, 16);
					out.push(Number.isNaN(code) ? `\\u${hex}` : String.fromCharCode(code));
					hex = undefined;
				}
				index++;
				continue;
			}
			if (escaped) {
				escaped = false;
				if (char === 'u') hex = '';
				else out.push(ESCAPES[char] ?? char);
				index++;
				continue;
			}
			if (char === '\\') {
				escaped = true;
				index++;
				continue;
			}
			if (char === '"') {
				inString = false;
				index++;
				continue;
			}
			let end = index + 1;
			while (end < chunk.length && chunk.charCodeAt(end) !== QUOTE && chunk.charCodeAt(end) !== BACKSLASH) end++;
			out.push(chunk.slice(index, end));
			index = end;
		}
		return out.join('');
	};
}

/**
 * `text` in pieces of about `size` characters, never cut between the two
 * halves of a surrogate pair nor between CR and LF (the sanitizer reads a
 * CRLF as one line break, and a lone half as a broken character).
 */
export function* piecesOf(text: string, size: number): Generator<string> {
	const step = Math.max(2, size);
	for (let start = 0; start < text.length;) {
		let end = Math.min(text.length, start + step);
		if (end < text.length) {
			const last = text.charCodeAt(end - 1);
			if ((last >= 0xd800 && last <= 0xdbff) || last === 13) end--;
		}
		yield text.slice(start, end);
		start = end;
	}
}

/** UTF-8 bytes decoded in pieces of `size` bytes (a character cut between two pieces comes whole in the second). */
export function* decodedPieces(bytes: Uint8Array, size: number): Generator<string> {
	const decoder = new TextDecoder('utf-8');
	for (let start = 0; start < bytes.length; start += size) yield decoder.decode(bytes.subarray(start, start + size), {stream: true});
	const rest = decoder.decode();
	if (rest) yield rest;
}

/**
 * The first `maxLines` lines of `text` (JSON, maybe cut short) pretty-printed,
 * and whether that is all of it: fed in small pieces, so the work stops with
 * the lines that will be shown.
 */
export function prettyJsonLines(text: string, maxLines: number): {lines: string[]; complete: boolean} {
	const pretty = createJsonPrettifier();
	let lines: string[] = [''];
	for (const piece of piecesOf(text, 4096)) {
		const [first = '', ...rest] = pretty(piece).split('\n');
		lines[lines.length - 1] += first;
		lines.push(...rest);
		if (lines.length > maxLines) {
			lines = lines.slice(0, maxLines);
			return {lines, complete: false};
		}
	}
	return {lines, complete: true};
}

/**
 * The strings of a JSON array of strings that may be cut short (a preview):
 * the last one then ends where the text does.
 */
export function stringsOfArrayText(text: string): string[] {
	const strings: string[] = [];
	for (const match of text.matchAll(/"((?:[^"\\]|\\[\s\S]?)*)("|$)/g)) {
		// A cut string may end inside an escape: \ or \u12 is left out.
		const body = match[2] ? match[1]! : match[1]!.replace(/\\(u[0-9a-fA-F]{0,3})?$/, '');
		try {
			strings.push(JSON.parse(`"${body}"`) as string);
		} catch {
			strings.push(body);
		}
	}
	return strings;
}
