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

/**
 * The segments cut into rows of `width` columns, at most `maxRows` of them:
 * when the text needs more, the last row shows `…` at its end.
 */
export function wrapSegments(segments: readonly Segment[], width: number, maxRows: number): Segment[][] {
	const room = Math.max(1, width);
	const limit = Math.max(1, maxRows);
	const total = segmentsWidth(segments, room * limit + 1);
	const rows: Segment[][] = [];
	for (let from = 0; from < total && rows.length < limit; from += room) rows.push(sliceSegments(segments, from, room));
	if (rows.length === 0) rows.push([]);
	if (total > room * limit) {
		const lastRow = sliceSegments(segments, room * (limit - 1), room - 1);
		rows[limit - 1] = [...lastRow, {text: '…', tone: 'dim'}];
	}
	return rows;
}

/** How many rows `wrapSegments` makes of a text `columns` wide. */
export const rowsFor = (columns: number, width: number, maxRows: number): number => Math.max(1, Math.min(Math.max(1, maxRows), Math.ceil(columns / Math.max(1, width))));
