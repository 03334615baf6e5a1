/**
 * A table with a selected row, windowed to the rows that fit:
 *
 *   QUEUE     STATE   WAITING  FAILED
 * ▸ high      active       12       3      ← selected (inverse)
 *   default   paused        0       0
 *
 * Every cell passes the sanitizer (its text may come from a job); columns
 * take the width of their widest cell (at most 60, more when the terminal has
 * room), and the widest shrinks to fit; the first column, which names the row,
 * shrinks last.
 */
import {isDeepStrictEqual} from 'node:util';
import {Box, Text} from 'ink';
import {memo} from 'react';
import type {Tone} from '../../present/table-model.js';
import {sanitizeLine} from '../../common/sanitize.js';
import {toneProps} from '../palette.js';

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
	/** Columns to leave out, in this order, while the table is wider than the terminal. */
	drop?: readonly number[];
	/** Columns never cut (a service's STATE): others give way first. */
	keep?: ReadonlySet<number>;
	/** Each row's tone (palette.ts): the row's colour. */
	tones?: ReadonlyArray<Tone>;
	/** Cells with a tone of their own, by row. */
	cellTones?: ReadonlyArray<Readonly<Record<number, Tone>> | undefined>;
	/** A totals row under the rows (bold). */
	totals?: readonly string[];
};

const clip = (text: string, width: number): string => (text.length <= width ? text : width <= 1 ? text.slice(0, width) : `${text.slice(0, width - 1)}…`);

/** The widest cell of a column, header included. */
const widest = (head: readonly string[], rows: ReadonlyArray<readonly string[]>, column: number): number => Math.max(head[column]!.length, ...rows.map(row => (row[column] ?? '').length));
/** A column's width before fitting: its widest cell, at most 60 (a long reason must not push the rest away). */
const natural = (head: readonly string[], rows: ReadonlyArray<readonly string[]>, column: number): number => Math.min(60, widest(head, rows, column));

/** The columns to show: all of them, or without the `drop` ones (in order) until the table fits. */
function visibleColumns(head: readonly string[], rows: ReadonlyArray<readonly string[]>, width: number, drop: readonly number[] = []): number[] {
	const shown = head.map((_, column) => column);
	const total = () => shown.reduce((sum, column) => sum + natural(head, rows, column), 0) + 2 + (shown.length - 1) * 2;
	for (const column of drop) {
		if (total() <= width) break;
		shown.splice(shown.indexOf(column), 1);
	}
	return shown;
}

/**
 * Column widths: the natural width each, the widest column shrunk until the row fits;
 * room left over goes to the columns cut at 60, the last first (a failed reason).
 */
function columnWidths(head: readonly string[], rows: ReadonlyArray<readonly string[]>, width: number, keep: ReadonlySet<number> = new Set()): number[] {
	const widths = head.map((_, column) => natural(head, rows, column));
	const room = width - 2 - (widths.length - 1) * 2;
	let total = widths.reduce((sum, value) => sum + value, 0);
	while (total > room) {
		// The first column names the row (a queue, a worker, a schedule): it is cut last; kept columns never.
		const others = widths.map((value, column) => (column === 0 || keep.has(column) ? -1 : value));
		const widestOther = others.indexOf(Math.max(...others));
		const column = widestOther > 0 && widths[widestOther]! > 4 ? widestOther : 0;
		if (widths[column]! <= 4) break;
		widths[column]!--;
		total--;
	}
	for (let column = widths.length - 1; column >= 0 && total < room; column--) {
		if (widths[column]! < 60) continue;
		const grow = Math.min(room - total, widest(head, rows, column) - widths[column]!);
		widths[column]! += grow;
		total += grow;
	}
	return widths;
}

/** The first row to show so that `selected` is visible. */
export const windowStart = (selected: number, visible: number, total: number): number => Math.max(0, Math.min(selected - Math.floor(visible / 2), total - visible));

/**
 * Drawn again only when what it shows changed: a refresh that brought the same rows (only the
 * clock moved) leaves the table's React tree alone (props compared as data).
 */
export const List = memo(ListTable, isDeepStrictEqual);

function ListTable({head: allHead, rows, selected, height, width, marked, empty, numeric: allNumeric, drop, keep: allKeep, tones, cellTones, totals}: ListProps) {
	const allRows = rows.map(row => row.map(cell => sanitizeLine(cell)));
	const columns = visibleColumns(allHead, totals ? [...allRows, totals] : allRows, width, drop);
	const head = columns.map(column => allHead[column]!);
	const pick = (row: readonly string[]) => columns.map(column => row[column] ?? '');
	const safeRows = allRows.map(pick);
	const numeric = new Set(columns.flatMap((column, index) => (allNumeric?.has(column) ? [index] : [])));
	const keep = new Set(columns.flatMap((column, index) => (allKeep?.has(column) ? [index] : [])));
	const widths = columnWidths(head, totals ? [...safeRows, pick(totals)] : safeRows, width, keep);
	const visible = Math.max(1, height - 1 - (totals ? 1 : 0));
	const start = windowStart(selected, visible, safeRows.length);
	const cell = (text: string, column: number) => (numeric.has(column) ? clip(text, widths[column]!).padStart(widths[column]!) : clip(text, widths[column]!).padEnd(widths[column]!));
	const line = (cells: readonly string[]) => cells.map(cell).join('  ');
	return (
		<Box flexDirection="column">
			<Text bold>{`  ${line(head)}`}</Text>
			{safeRows.length === 0 ? <Text dimColor>{sanitizeLine(`  ${empty ?? 'nothing here'}`)}</Text> : null}
			{safeRows.slice(start, start + visible).map((row, offset) => {
				const index = start + offset;
				const isSelected = index === selected;
				const mark = marked?.has(index) ? '●' : isSelected ? '▸' : ' ';
				const own = cellTones?.[index];
				// One Text per row when no cell has a colour of its own: fewer nodes to lay out each refresh.
				if (!own || Object.keys(own).length === 0) {
					return <Text key={index} inverse={isSelected} {...toneProps(tones?.[index])}>{`${mark} ${line(row)}`}</Text>;
				}
				return (
					<Text key={index} inverse={isSelected} {...toneProps(tones?.[index])}>
						{`${mark} `}
						{row.map((text, column) => (
							<Text key={column} {...toneProps(own[columns[column]!])}>{`${column > 0 ? '  ' : ''}${cell(text, column)}`}</Text>
						))}
					</Text>
				);
			})}
			{totals && safeRows.length > 0 ? <Text bold>{`  ${line(pick(totals))}`}</Text> : null}
		</Box>
	);
}
