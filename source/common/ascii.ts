/**
 * Terminals that are not UTF-8 (LANG=C over SSH, a vt100, the Linux console
 * without a Unicode font) show our glyphs as garbage. There, every glyph goes
 * through `toAscii` on its way out: each has an ASCII stand-in of the same
 * width (the layout was measured with the glyph), and any other character —
 * a member's name in job data, say — becomes "?" as wide as it was.
 */

const STAND_INS: Record<string, string> = {
	'▸': '>', '▶': '>', '◂': '<', '●': '*', '○': 'o', '•': '*', '·': '|', '…': '~',
	'–': '-', '—': '-', '─': '-', '━': '-', '│': '|', '┃': '|', '║': '|', '═': '=',
	'╭': '+', '╮': '+', '╰': '+', '╯': '+', '┌': '+', '┐': '+', '└': '+', '┘': '+', '├': '+', '┤': '+', '┬': '+', '┴': '+', '┼': '+',
	'↑': '^', '↓': 'v', '←': '<', '→': '>', '↔': '-', '⇅': '^',
	'✔': '+', '✓': '+', '✖': 'x', '✗': 'x', '⚠': '!', '█': '#', '▌': '|', '▐': '|',
	'▁': '_', '▂': '_', '▃': '.', '▄': '-', '▅': '=', '▆': '=', '▇': '#',
	'°': 'o', '×': 'x', '≥': '>', '≤': '<', '≠': '#', '±': '+', '\u00A0': ' ',
};

/** Columns a character takes on a terminal: 2 for East Asian wide and emoji, 0 for combining marks. */
export function charWidth(code: number): number {
	if ((code >= 0x300 && code <= 0x36f) || (code >= 0x200b && code <= 0x200f) || (code >= 0xfe00 && code <= 0xfe0f)) return 0;
	if (
		(code >= 0x1100 && code <= 0x115f) || (code >= 0x2e80 && code <= 0xa4cf) || (code >= 0xac00 && code <= 0xd7a3) ||
		(code >= 0xf900 && code <= 0xfaff) || (code >= 0xfe30 && code <= 0xfe4f) || (code >= 0xff00 && code <= 0xff60) ||
		(code >= 0xffe0 && code <= 0xffe6) || (code >= 0x1f300 && code <= 0x1f64f) || (code >= 0x1f900 && code <= 0x1f9ff) ||
		(code >= 0x20000 && code <= 0x3fffd)
	) return 2;
	return 1;
}

/** `text` with every non-ASCII character replaced by a stand-in of the same width. */
export function toAscii(text: string): string {
	// eslint-disable-next-line no-control-regex -- the fast path: nothing to do for pure ASCII (escape sequences included)
	if (/^[\u0000-\u007F]*$/.test(text)) return text;
	let out = '';
	for (const char of text) {
		const code = char.codePointAt(0)!;
		if (code < 0x80) out += char;
		else out += STAND_INS[char] ?? '?'.repeat(charWidth(code));
	}
	return out;
}

/** Whether the terminal takes UTF-8: the locale says so (LC_ALL, else LC_CTYPE, else LANG) and TERM is not a vt100-class one. */
export function isUtf8Terminal(env: NodeJS.ProcessEnv = process.env): boolean {
	const locale = [env['LC_ALL'], env['LC_CTYPE'], env['LANG']].find(value => value !== undefined && value !== '') ?? '';
	if (!/utf-?8/i.test(locale)) return false;
	return !/^(vt52|vt100|vt102|vt220|dumb)$/.test(env['TERM'] ?? '');
}
