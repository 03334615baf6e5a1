import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hasUnsafeText, sanitizeLine, sanitizeText, toSafeJson } from '../../source/common/sanitize.js';

const ESC = '\x1b';
const BEL = '\x07';

/** Characters no sanitized output may contain (LF handled separately). */
const C0_EXCEPT_LF = /[\x00-\x09\x0B-\x1F]/u;
const LF = /\n/u;
const DEL_AND_C1 = /[\x7F-\x9F]/u;
const BIDI_AND_FORMAT = /[\u061C\u200B-\u200F\u202A-\u202E\u2060-\u2069\uFEFF\u2028\u2029]/u;
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

function assertInert(output: string, multiline: boolean, label: string): void {
	assert.doesNotMatch(output, C0_EXCEPT_LF, `${label}: C0 control left in ${JSON.stringify(output)}`);
	if (!multiline) assert.doesNotMatch(output, LF, `${label}: LF left in single-line output`);
	assert.doesNotMatch(output, DEL_AND_C1, `${label}: DEL/C1 left in ${JSON.stringify(output)}`);
	assert.doesNotMatch(output, BIDI_AND_FORMAT, `${label}: bidi/format control left`);
	assert.doesNotMatch(output, LONE_SURROGATE, `${label}: lone surrogate left`);
}

interface Case {
	name: string;
	input: string;
	line: string; // expected sanitizeText(input) / sanitizeLine(input)
	multi: string; // expected sanitizeText(input, { multiline: true })
}

const cases: Case[] = [
	{ name: 'ESC[2J (clear screen)', input: `${ESC}[2J`, line: '␛[2J', multi: '␛[2J' },
	{
		name: 'OSC 0 (window title)',
		input: `${ESC}]0;pwned${BEL}`,
		line: '␛]0;pwned␇',
		multi: '␛]0;pwned␇',
	},
	{
		name: 'OSC 8 (hyperlink)',
		input: `${ESC}]8;;http://x${BEL}text${ESC}]8;;${BEL}`,
		line: '␛]8;;http://x␇text␛]8;;␇',
		multi: '␛]8;;http://x␇text␛]8;;␇',
	},
	{
		name: 'OSC 52 (clipboard write)',
		input: `${ESC}]52;c;cm0gLXJmIH4=${BEL}`,
		line: '␛]52;c;cm0gLXJmIH4=␇',
		multi: '␛]52;c;cm0gLXJmIH4=␇',
	},
	{
		name: 'OSC 52 terminated by ST (ESC \\)',
		input: `${ESC}]52;c;QUJD${ESC}\\`,
		line: '␛]52;c;QUJD␛\\',
		multi: '␛]52;c;QUJD␛\\',
	},
	{ name: '8-bit CSI U+009B', input: '\u009B2J', line: '<U+009B>2J', multi: '<U+009B>2J' },
	{ name: '8-bit OSC U+009D', input: '\u009D0;t\u009C', line: '<U+009D>0;t<U+009C>', multi: '<U+009D>0;t<U+009C>' },
	{ name: 'bare CR', input: 'paid\rFAILED', line: 'paid␍FAILED', multi: 'paid␍FAILED' },
	{ name: 'BEL', input: `ding${BEL}`, line: 'ding␇', multi: 'ding␇' },
	{ name: 'U+202E (RLO)', input: 'amount \u202E0001', line: 'amount <U+202E>0001', multi: 'amount <U+202E>0001' },
	{ name: 'U+2066..U+2069 isolates', input: '\u2066a\u2069', line: '<U+2066>a<U+2069>', multi: '<U+2066>a<U+2069>' },
	{ name: 'zero-width space and BOM', input: '\uFEFFa\u200Bb', line: '<U+FEFF>a<U+200B>b', multi: '<U+FEFF>a<U+200B>b' },
	{ name: 'U+2028/U+2029', input: 'a\u2028b\u2029c', line: 'a<U+2028>b<U+2029>c', multi: 'a<U+2028>b<U+2029>c' },
	{ name: 'DEL', input: 'x\x7Fy', line: 'x␡y', multi: 'x␡y' },
	{ name: 'NUL', input: 'a\x00b', line: 'a␀b', multi: 'a␀b' },
	{ name: 'TAB', input: 'col1\tcol2', line: 'col1 col2', multi: 'col1 col2' },
	{ name: 'LF', input: 'line1\nline2', line: 'line1␤line2', multi: 'line1\nline2' },
	{
		name: 'CRLF',
		input: 'Error: boom\r\n    at f (a.js:1:1)\r\n',
		line: 'Error: boom␍␤    at f (a.js:1:1)␍␤',
		multi: 'Error: boom\n    at f (a.js:1:1)\n',
	},
	{ name: 'CR CR LF', input: 'a\r\r\nb', line: 'a␍␍␤b', multi: 'a␍\nb' },
	{ name: 'lone high surrogate', input: 'a\uD83Db', line: 'a\uFFFDb', multi: 'a\uFFFDb' },
	{ name: 'lone low surrogate', input: 'a\uDE00b', line: 'a\uFFFDb', multi: 'a\uFFFDb' },
	{ name: 'reversed surrogate pair', input: '\uDE00\uD83D', line: '\uFFFD\uFFFD', multi: '\uFFFD\uFFFD' },
	{
		name: 'all-printable Swahili + emoji',
		input: 'Malipo ya mkopo ✅ 🇹🇿',
		line: 'Malipo ya mkopo ✅ 🇹🇿',
		multi: 'Malipo ya mkopo ✅ 🇹🇿',
	},
];

describe('sanitizeText', () => {
	for (const c of cases) {
		it(`single-line: ${c.name}`, () => {
			const out = sanitizeText(c.input);
			assert.equal(out, c.line);
			assert.equal(sanitizeLine(c.input), c.line);
			assertInert(out, false, c.name);
		});
		it(`multiline: ${c.name}`, () => {
			const out = sanitizeText(c.input, { multiline: true });
			assert.equal(out, c.multi);
			assertInert(out, true, c.name);
		});
	}

	it('leaves printable text unchanged and reports it safe', () => {
		const s = 'Malipo ya mkopo ✅ 🇹🇿';
		assert.equal(sanitizeText(s), s);
		assert.equal(sanitizeText(s, { multiline: true }), s);
		assert.equal(hasUnsafeText(s), false);
	});

	it('covers every C0 control with its control picture (TAB and LF excepted)', () => {
		for (let code = 0; code < 0x20; code++) {
			if (code === 0x09 || code === 0x0a) continue;
			assert.equal(sanitizeText(String.fromCharCode(code)), String.fromCharCode(0x2400 + code));
		}
	});

	it('covers every C1 control with the <U+XXXX> form', () => {
		for (let code = 0x80; code <= 0x9f; code++) {
			const expected = `<U+${code.toString(16).toUpperCase().padStart(4, '0')}>`;
			assert.equal(sanitizeText(String.fromCharCode(code)), expected);
		}
	});

	it('coerces non-strings', () => {
		assert.equal(sanitizeText(null), '');
		assert.equal(sanitizeText(undefined), '');
		assert.equal(sanitizeText(42), '42');
		assert.equal(sanitizeText(true), 'true');
		assert.equal(sanitizeText(10n), '10');
		assert.equal(sanitizeText(new Error(`x${ESC}[2J`)), 'Error: x␛[2J');
		assert.equal(sanitizeText({ toString: () => `${ESC}]0;t${BEL}` }), '␛]0;t␇');
		assert.equal(sanitizeText(Object.create(null)), '[object Object]');
		assert.equal(
			sanitizeText({
				toString() {
					throw new Error('hostile');
				},
			}),
			'[object Object]',
		);
	});

	it('is stable across repeated calls (no global-regex lastIndex leakage)', () => {
		for (let i = 0; i < 3; i++) {
			assert.equal(sanitizeText(`${ESC}[0m`), '␛[0m');
			assert.equal(hasUnsafeText(`${ESC}[0m`), true);
			assert.equal(sanitizeText('a\r\nb', { multiline: true }), 'a\nb');
		}
	});

	it('is idempotent', () => {
		for (const c of cases) {
			assert.equal(sanitizeText(c.line), c.line);
			assert.equal(sanitizeText(c.multi, { multiline: true }), c.multi);
		}
	});
});

describe('hasUnsafeText', () => {
	it('agrees with sanitizeText for every case', () => {
		for (const c of cases) {
			assert.equal(hasUnsafeText(c.input), sanitizeText(c.input) !== c.input, c.name);
			assert.equal(
				hasUnsafeText(c.input, { multiline: true }),
				sanitizeText(c.input, { multiline: true }) !== c.input,
				c.name,
			);
		}
	});

	it('treats LF as unsafe only in single-line mode', () => {
		assert.equal(hasUnsafeText('a\nb'), true);
		assert.equal(hasUnsafeText('a\nb', { multiline: true }), false);
	});
});

/** No raw byte a terminal would act on may appear in JSON text. */
const JSON_RAW_UNSAFE = /[\x00-\x1F\x7F-\x9F\u061C\u200B-\u200F\u202A-\u202E\u2060-\u2069\uFEFF\u2028\u2029\uD800-\uDFFF]/u;

function assertSafeJson(value: unknown, space?: number): string {
	const json = toSafeJson(value, space);
	if (space === undefined) {
		assert.doesNotMatch(json, JSON_RAW_UNSAFE, `raw unsafe character in ${json}`);
	} else {
		// Indentation introduces LF (and spaces); nothing else may be raw.
		assert.doesNotMatch(json.replace(/\n/gu, ''), JSON_RAW_UNSAFE, `raw unsafe character in ${json}`);
	}
	assert.deepEqual(JSON.parse(json), JSON.parse(JSON.stringify(value) ?? 'null'));
	return json;
}

describe('toSafeJson', () => {
	it('round-trips every sanitizer case and leaves no raw unsafe character', () => {
		for (const c of cases) {
			const json = assertSafeJson(c.input);
			assert.equal(JSON.parse(json), c.input, c.name);
		}
	});

	it('escapes DEL, C1, bidi and format controls as \\uXXXX', () => {
		assert.equal(toSafeJson('\x7F\u009B\u202E\u2028\u2029\uFEFF'), '"\\u007f\\u009b\\u202e\\u2028\\u2029\\ufeff"');
		assert.equal(toSafeJson(`${ESC}[2J`), '"\\u001b[2J"');
		assert.equal(toSafeJson('a\uD83Db'), '"a\\ud83db"');
	});

	it('handles a nested object with unsafe keys and values', () => {
		const value = {
			[`name${ESC}]0;t${BEL}`]: {
				'\u202Ekey': ['\u009B31m', `${ESC}]8;;http://x${BEL}link${ESC}]8;;${BEL}`, 1, null, true],
				'del\x7F': { deep: `${ESC}]52;c;QUJD${BEL}`, surrogate: '\uDE00', crlf: 'a\r\nb' },
			},
			plain: 'Malipo ya mkopo ✅ 🇹🇿',
		};
		for (const space of [undefined, 2]) {
			const json = assertSafeJson(value, space);
			assert.deepEqual(JSON.parse(json), value);
		}
		const compact = toSafeJson(value);
		assert.ok(compact.includes('"\\u202ekey"'));
		assert.ok(compact.includes('"del\\u007f"'));
		assert.ok(compact.includes('Malipo ya mkopo ✅ 🇹🇿'), 'printable unicode stays readable');
	});

	it('escapes an unsafe character preceded by a literal backslash correctly', () => {
		const value = 'a\\\u202E';
		const json = assertSafeJson(value);
		assert.equal(json, '"a\\\\\\u202e"');
		assert.equal(JSON.parse(json), value);
	});

	it('matches JSON.stringify exactly when nothing needs escaping', () => {
		const value = { a: [1, 'two', { three: 3 }], b: 'Malipo ✅' };
		assert.equal(toSafeJson(value), JSON.stringify(value));
		assert.equal(toSafeJson(value, 2), JSON.stringify(value, null, 2));
	});

	it('converts BigInt to string and undefined top-level to null', () => {
		assert.equal(toSafeJson({ id: 9007199254740993n }), '{"id":"9007199254740993"}');
		assert.equal(toSafeJson(12n), '"12"');
		assert.equal(toSafeJson(undefined), 'null');
		assert.equal(toSafeJson(() => 1), 'null');
		assert.equal(toSafeJson({ a: undefined, b: 1 }), '{"b":1}');
	});
});
