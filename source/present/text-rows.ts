/**
 * One line of styled text (segments, each with a tone the view maps to a
 * colour) cut to a terminal's width: from a column on (scrolled sideways), or
 * wrapped onto rows. Columns are counted in code points (the text has passed
 * the sanitizer, so none is a control), and only as far as the rows asked
 * for: a 1 MB line costs what the screen shows.
 */
export type Segment = {text: string; tone?: string};

/** The code points of `text`, at most `limit` of them (the first ones). */
function countUpTo(text: string, limit: number): number {
	if (text.length <= limit) {
		let count = 0;
		for (const _ of text) count++;
		return count;
	}
	let count = 0;
	for (const _ of text) if (++count >= limit) break;
	return count;
}

/** How many columns the segments take, counted up to `limit`. */
export function segmentsWidth(segments: readonly Segment[], limit = Number.POSITIVE_INFINITY): number {
	let total = 0;
	for (const segment of segments) {
		if (total >= limit) break;
		total += countUpTo(segment.text, limit - total);
	}
	return total;
}

/** Columns `from` to `from + width` of the segments (tones kept; empty ones dropped). */
export function sliceSegments(segments: readonly Segment[], from: number, width: number): Segment[] {
	const shown: Segment[] = [];
	let column = 0;
	const end = from + width;
	for (const segment of segments) {
		if (column >= end) break;
		let text = '';
		for (const char of segment.text) {
			if (column >= end) break;
			if (column >= from) text += char;
			column++;
		}
		if (text) shown.push(segment.tone === undefined ? {text} : {text, tone: segment.tone});
	}
	return shown;
}

/** The first `limit` code points of the segments' text. */
function codePoints(segments: readonly Segment[], limit: number): string[] {
	const chars: string[] = [];
	for (const segment of segments) {
		for (const char of segment.text) {
			if (chars.length >= limit) return chars;
			chars.push(char);
		}
	}
	return chars;
}

/**
 * Where each row of the segments wrapped at `width` starts and ends (columns,
 * end exclusive), at most `maxRows` rows: a row ends after a space when one
 * is in its second half (words stay whole), else at the width. `cut`: the
 * text goes on past the last row.
 */
export function wrapRanges(segments: readonly Segment[], width: number, maxRows: number): {ranges: Array<[number, number]>; cut: boolean} {
	const room = Math.max(1, width);
	const limit = Math.max(1, maxRows);
	const chars = codePoints(segments, room * limit + 1);
	const ranges: Array<[number, number]> = [];
	let start = 0;
	while (ranges.length < limit) {
		if (chars.length - start <= room) {
			ranges.push([start, chars.length]);
			return {ranges, cut: false};
		}
		let end = start + room;
		for (let at = start + room - 1; at >= start + room / 2; at--) {
			if (chars[at] === ' ') {
				end = at + 1;
				break;
			}
		}
		ranges.push([start, end]);
		start = end;
	}
	return {ranges, cut: true};
}

/**
 * The segments wrapped into rows of `width` columns (words kept whole where
 * they can be), at most `maxRows` of them: when the text needs more, the last
 * row ends with `…`.
 */
export function wrapSegments(segments: readonly Segment[], width: number, maxRows: number): Segment[][] {
	const {ranges, cut} = wrapRanges(segments, width, maxRows);
	return ranges.map(([from, to], index) => (cut && index === ranges.length - 1 ? [...sliceSegments(segments, from, Math.min(to - from, Math.max(1, width) - 1)), {text: '…', tone: 'dim'}] : sliceSegments(segments, from, to - from)));
}
