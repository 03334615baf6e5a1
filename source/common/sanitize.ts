/**
 * The one gate for untrusted text. Job names, job data, failedReason, stack
 * traces and log lines are written by whoever enqueued the job or by whatever
 * a process printed; printed raw they can clear the screen, retitle the
 * window, plant hyperlinks, write the clipboard (OSC 52), overwrite a line
 * with a bare CR, or reorder what the operator reads with bidi controls.
 * Everything that reaches a terminal goes through here first, and `--json`
 * output goes through `toSafeJson` so a script piping it to a terminal (or
 * `jq` to a terminal) is just as safe.
 *
 * Pure, dependency-free, and cheap on the common all-printable path: one
 * regex test plus a native well-formedness check, then the input is returned
 * as is, with no allocation.
 */

/**
 * Bidi and invisible format controls: they can reorder text (Trojan Source),
 * hide it, or break lines in JavaScript-aware viewers (U+2028/U+2029).
 * Kept as a source fragment so the detection and replacement regexes, and the
 * JSON escaper, cannot drift apart.
 */
const FORMAT_CONTROLS = '\\u061C\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2069\\uFEFF\\u2028\\u2029';

/*
 * The `u` flag makes a surrogate range match only *lone* surrogates: a valid
 * pair is read as one astral code point (emoji, flags) and never matches.
 */
const UNSAFE_CLASS = `[\\x00-\\x1F\\x7F-\\x9F${FORMAT_CONTROLS}\\uD800-\\uDFFF]`;
/** Same as UNSAFE_CLASS but LF is allowed (multiline mode keeps line breaks). */
const UNSAFE_CLASS_MULTILINE = `[\\x00-\\x09\\x0B-\\x1F\\x7F-\\x9F${FORMAT_CONTROLS}\\uD800-\\uDFFF]`;

/*
 * Fast-path detectors leave the surrogate range out: in V8 a surrogate range
 * in the class makes every non-ASCII string (any emoji) roughly 2-3x slower to
 * scan, and lone surrogates are checked separately by isWellFormed instead.
 * Non-global, so there is no lastIndex state to trip over.
 */
const CONTROL_LINE = new RegExp(`[\\x00-\\x1F\\x7F-\\x9F${FORMAT_CONTROLS}]`, 'u');
const CONTROL_MULTILINE = new RegExp(`[\\x00-\\x09\\x0B-\\x1F\\x7F-\\x9F${FORMAT_CONTROLS}]`, 'u');
/* CRLF is matched as a unit first so it folds to a single LF in multiline mode. */
const REPLACE_LINE = new RegExp(UNSAFE_CLASS, 'gu');
const REPLACE_MULTILINE = new RegExp(`\\r\\n|${UNSAFE_CLASS_MULTILINE}`, 'gu');

/*
 * What JSON.stringify leaves raw but a terminal may act on. C0 controls are
 * already escaped by JSON.stringify, and so are lone surrogates (Node >= 12),
 * but the surrogate range is kept in the replacement as a belt-and-braces
 * measure.
 */
const JSON_CONTROL = new RegExp(`[\\x7F-\\x9F${FORMAT_CONTROLS}]`, 'u');
const JSON_REPLACE = new RegExp(`[\\x7F-\\x9F${FORMAT_CONTROLS}\\uD800-\\uDFFF]`, 'gu');

/*
 * String.prototype.isWellFormed is native in Node 20 but typed only from
 * lib ES2024; the regex fallback keeps the module correct anywhere.
 */
type WellFormedCheck = (this: string) => boolean;
const nativeIsWellFormed = (String.prototype as { isWellFormed?: WellFormedCheck }).isWellFormed;
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

function isWellFormed(text: string): boolean {
	return nativeIsWellFormed === undefined ? !LONE_SURROGATE.test(text) : nativeIsWellFormed.call(text);
}

function hex4(code: number): string {
	return code.toString(16).toUpperCase().padStart(4, '0');
}

/**
 * Maps one unsafe match to its visible stand-in. Control pictures keep C0
 * bytes one column wide and recognisable (␛[2J reads as what it was);
 * `<U+XXXX>` names the rarer C1 and format controls unambiguously.
 */
function visible(match: string, multiline: boolean): string {
	if (match === '\r\n') return '\n'; // only reachable in multiline mode
	const code = match.charCodeAt(0);
	if (code === 0x09) return ' ';
	if (code === 0x0a) return multiline ? '\n' : '\u2424';
	if (code < 0x20) return String.fromCharCode(0x2400 + code);
	if (code === 0x7f) return '\u2421';
	if (code >= 0xd800 && code <= 0xdfff) return '\uFFFD';
	return `<U+${hex4(code)}>`;
}

const replaceLine = (m: string): string => visible(m, false);
const replaceMultiline = (m: string): string => visible(m, true);

/**
 * Untrusted values are not always strings (job data fields, numeric ids,
 * thrown non-Errors). Coerce without ever throwing — a sanitizer that throws
 * on a hostile `toString` would take the whole table down with it.
 */
function coerce(input: unknown): string {
	if (typeof input === 'string') return input;
	if (input === null || input === undefined) return '';
	try {
		return String(input);
	} catch {
		return Object.prototype.toString.call(input);
	}
}

export interface SanitizeOptions {
	/** Keep LF (and fold CRLF to LF) — for stack traces and log blocks. */
	multiline?: boolean;
}

/**
 * Make untrusted text inert for a terminal while keeping it readable: every
 * control or invisible character is replaced by a visible stand-in rather
 * than dropped, so the operator still sees that something was there. Making
 * ESC visible is what defuses whole escape sequences (CSI, OSC 0/8/52); no
 * attempt is made to parse them, which would be both slower and riskier.
 */
export function sanitizeText(input: unknown, opts?: SanitizeOptions): string {
	const text = coerce(input);
	if (opts?.multiline === true) {
		return hasUnsafeText(text, opts) ? text.replace(REPLACE_MULTILINE, replaceMultiline) : text;
	}
	return hasUnsafeText(text) ? text.replace(REPLACE_LINE, replaceLine) : text;
}

/**
 * Table cells must stay on one line or the layout (and what the operator
 * believes belongs to which row) breaks, so LF is shown as ␤ here.
 */
export function sanitizeLine(input: unknown): string {
	return sanitizeText(input, { multiline: false });
}

/**
 * Whether sanitizeText would change the text — lets callers mark a cell as
 * "contained control characters" and lets tests assert intent directly.
 */
export function hasUnsafeText(input: string, opts?: SanitizeOptions): boolean {
	const controls = opts?.multiline === true ? CONTROL_MULTILINE : CONTROL_LINE;
	return controls.test(input) || !isWellFormed(input);
}

/**
 * BigInt appears in job data and would make JSON.stringify throw; a string
 * keeps the digits exactly, which a number could not.
 */
function jsonReplacer(_key: string, value: unknown): unknown {
	return typeof value === 'bigint' ? value.toString() : value;
}

const escapeJsonChar = (m: string): string => `\\u${m.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * `--json` output is often piped straight to a terminal (or through jq, which
 * prints strings raw). JSON.stringify escapes C0 but leaves DEL, C1 (8-bit
 * CSI/OSC), bidi and other format controls raw, so those are escaped too.
 * Such characters can only occur inside string literals in JSON text, so
 * replacing each with its \uXXXX escape keeps the output valid JSON that
 * parses back to exactly the same value.
 *
 * Throws, like JSON.stringify, on circular structures.
 */
export function toSafeJson(value: unknown, space?: number): string {
	const json = JSON.stringify(value, jsonReplacer, space) as string | undefined;
	if (json === undefined) return 'null'; // undefined, functions, symbols at top level
	return JSON_CONTROL.test(json) || !isWellFormed(json) ? json.replace(JSON_REPLACE, escapeJsonChar) : json;
}
