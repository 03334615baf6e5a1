/**
 * Charts in text: a sparkline of per-minute counts and a histogram's bars,
 * in block characters (the console swaps them for ASCII stand-ins where the
 * terminal is not UTF-8: common/ascii.ts).
 */

const BLOCKS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/** The last `width` values as one block each, scaled to the highest; a minute with nothing is a space, any count at least ▁. */
export function sparkline(values: readonly number[], width: number): string {
	const shown = values.slice(-width);
	const high = Math.max(0, ...shown);
	return shown.map(value => (value <= 0 || high === 0 ? ' ' : BLOCKS[Math.min(BLOCKS.length - 1, Math.max(0, Math.ceil((value / high) * BLOCKS.length) - 1))]!)).join('').padStart(width);
}

/** A horizontal bar of `value` out of `high`, `width` columns at most (at least one block for any count). */
export function bar(value: number, high: number, width: number): string {
	if (value <= 0 || high <= 0) return '';
	return '█'.repeat(Math.max(1, Math.round((value / high) * width)));
}
