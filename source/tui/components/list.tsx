/**
 * A table with a selected row, windowed to the rows that fit:
 *
 *   QUEUE     STATE   WAITING  FAILED
 * ▸ high      active       12       3      ← selected (inverse)
 *   default   paused        0       0
 *
 * Every cell passes the sanitizer (its text may come from a job); columns
 * take the width of their widest cell, and the widest shrinks to fit.
 */
import {Box, Text} from 'ink';
import {sanitizeLine} from '../../data/sanitize.js';

export type ListProps = {
	head: readonly string[];
	rows: ReadonlyArray<readonly string[]>;
	selected: number;
	/** Rows of the terminal this list may use, header included. */
	height: number;
	width: number;
	/** Row indexes marked with Space. */
	marked?: ReadonlySet<number>;
	/** Shown instead of the rows when there are none. */
	empty?: string;
	/** Right-aligned columns (counts). */
	numeric?: ReadonlySet<number>;
};

const clip = (text: string, width: number): string => (text.length <= width ? text : width <= 1 ? text.slice(0, width) : `${text.slice(0, width - 1)}…`);

/** Column widths: the widest cell each, the widest column shrunk until the row fits. */
export function columnWidths(head: readonly string[], rows: ReadonlyArray<readonly string[]>, width: number): number[] {
	const widths = head.map((title, column) => Math.min(60, Math.max(title.length, ...rows.map(row => (row[column] ?? '').length))));
	const room = width - 2 - (widths.length - 1) * 2;
	while (widths.reduce((sum, value) => sum + value, 0) > room) {
		const widest = widths.indexOf(Math.max(...widths));
		if (widths[widest]! <= 4) break;
		widths[widest]!--;
	}
	return widths;
}

/** The first row to show so that `selected` is visible. */
export const windowStart = (selected: number, visible: number, total: number): number => Math.max(0, Math.min(selected - Math.floor(visible / 2), total - visible));

export function List({head, rows, selected, height, width, marked, empty, numeric}: ListProps) {
	const safeRows = rows.map(row => row.map(cell => sanitizeLine(cell)));
	const widths = columnWidths(head, safeRows, width);
	const visible = Math.max(1, height - 1);
	const start = windowStart(selected, visible, safeRows.length);
	const line = (cells: readonly string[]) => cells.map((cell, column) => (numeric?.has(column) ? clip(cell, widths[column]!).padStart(widths[column]!) : clip(cell, widths[column]!).padEnd(widths[column]!))).join('  ');
	return (
		<Box flexDirection="column">
			<Text bold>{`  ${line(head)}`}</Text>
			{safeRows.length === 0 ? <Text dimColor>{sanitizeLine(`  ${empty ?? 'nothing here'}`)}</Text> : null}
			{safeRows.slice(start, start + visible).map((row, offset) => {
				const index = start + offset;
				const isSelected = index === selected;
				const mark = marked?.has(index) ? '●' : isSelected ? '▸' : ' ';
				return (
					<Text key={index} inverse={isSelected}>
						{`${mark} ${line(row)}`}
					</Text>
				);
			})}
		</Box>
	);
}
