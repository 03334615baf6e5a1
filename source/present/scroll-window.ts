/**
 * A cursor over streamed lines, and the window of them on screen (pure).
 *
 * Both are held as line numbers (`seq`, which only grow), not offsets: lines
 * arriving below, or falling off the top of a bounded buffer, move neither.
 * A null cursor follows the newest line, with the window at the bottom; the
 * cursor leaves the newest line only when the operator moves it, and comes
 * back to following when moved onto it (or with G). Lines may take several
 * rows (a wrapped log line): `height` says how many.
 */
export type Scroll = {
	/** The selected line's seq; null: the newest line, following. */
	cursor: number | null;
	/** The first line on screen's seq; null: the window ends at the cursor. */
	top: number | null;
};

export const FOLLOWING: Scroll = {cursor: null, top: null};

type Line = {seq: number};

/** The first index whose seq is at least `seq` (the lines' seqs increase); the length when none is. */
function indexAt(lines: readonly Line[], seq: number): number {
	let low = 0;
	let high = lines.length;
	while (low < high) {
		const middle = (low + high) >> 1;
		if (lines[middle]!.seq < seq) low = middle + 1;
		else high = middle;
	}
	return low;
}

/** Where the lines on screen start and end (end exclusive), and the cursor's index (-1: no lines). */
export type ScrollWindow = {start: number; end: number; cursor: number};

export function scrollWindow<L extends Line>(lines: readonly L[], scroll: Scroll, rows: number, height: (line: L) => number = () => 1): ScrollWindow {
	const count = lines.length;
	if (count === 0) return {start: 0, end: 0, cursor: -1};
	const room = Math.max(1, rows);
	const rowsOf = (index: number) => Math.max(1, height(lines[index]!));
	/** The first line of a window ending with `last`. */
	const upFrom = (last: number) => {
		let start = last;
		for (let used = rowsOf(last); start > 0 && used + rowsOf(start - 1) <= room; start--) used += rowsOf(start - 1);
		return start;
	};
	/** The end of a window starting with `first`. */
	const downFrom = (first: number) => {
		let end = first + 1;
		for (let used = rowsOf(first); end < count && used + rowsOf(end) <= room; end++) used += rowsOf(end);
		return end;
	};
	const cursor = scroll.cursor === null ? count - 1 : Math.min(count - 1, indexAt(lines, scroll.cursor));
	let start = scroll.cursor === null || scroll.top === null ? upFrom(cursor) : Math.min(cursor, indexAt(lines, scroll.top));
	let end = downFrom(start);
	if (cursor >= end) {
		start = upFrom(cursor);
		end = downFrom(start);
	} else if (end === count) {
		// Room left below the last line (a filter took lines away): the window fills upwards.
		start = upFrom(count - 1);
	}
	return {start, end, cursor};
}

/** Where a movement action (up, down, page-up, page-down, top, bottom) takes the cursor and the window; undefined: no lines, or not a movement. */
export function scrollMove<L extends Line>(lines: readonly L[], scroll: Scroll, rows: number, action: string, height?: (line: L) => number): Scroll | undefined {
	if (lines.length === 0) return undefined;
	const last = lines.length - 1;
	const {start, end, cursor} = scrollWindow(lines, scroll, rows, height);
	const page = Math.max(1, end - start);
	const clamp = (index: number) => Math.max(0, Math.min(last, index));
	let target: number;
	let top = start;
	switch (action) {
		case 'up':
			target = cursor - 1;
			break;
		case 'down':
			target = cursor + 1;
			break;
		case 'page-up':
			target = cursor - page;
			top = start - page;
			break;
		case 'page-down':
			target = cursor + page;
			top = start + page;
			break;
		case 'top':
			target = 0;
			top = 0;
			break;
		case 'bottom':
			return FOLLOWING;
		default:
			return undefined;
	}
	target = clamp(target);
	if (target === last) return FOLLOWING;
	return {cursor: lines[target]!.seq, top: lines[Math.min(clamp(top), target)]!.seq};
}
