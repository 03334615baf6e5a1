/**
 * Human tables (cli-table3). Every cell passes the sanitizer: job names, data
 * and errors are untrusted text. Borders are plain so tables survive piping,
 * `less` and old SSH terminals.
 */
import Table from 'cli-table3';
import {sanitizeLine} from '../common/sanitize.js';
import {bold} from './color.js';

/** Text our own code styled (colour); it skips the sanitizer. Never wrap job or log text in it. */
export type TrustedCell = {trusted: string};
export type Cell = string | number | null | undefined | TrustedCell;

/** Marks a cell as produced by this program (e.g. a coloured status word). */
export const trusted = (text: string): TrustedCell => ({trusted: text});

function cellContent(cell: Cell, maxWidth: number): string | {content: string; hAlign: 'right'} {
	if (typeof cell === 'number') return {content: String(cell), hAlign: 'right'};
	if (cell !== null && typeof cell === 'object') return cell.trusted;
	return truncate(sanitizeLine(cell ?? '-'), maxWidth);
}

/** Cuts a single-line string to `width` characters with an ellipsis. */
export function truncate(text: string, width: number): string {
	const chars = [...text];
	return chars.length <= width ? text : `${chars.slice(0, Math.max(1, width - 1)).join('')}…`;
}

/**
 * Renders rows under a header. Cells are sanitized (one line each) and cut
 * to `maxWidth` characters; numbers are right-aligned.
 */
export function renderTable(head: string[], rows: Cell[][], options: {maxWidth?: number} = {}): string {
	const maxWidth = options.maxWidth ?? 60;
	const table = new Table({
		head: head.map(title => bold(title)),
		style: {head: [], border: [], compact: true, 'padding-left': 0, 'padding-right': 2},
		chars: {
			top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
			bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
			left: '', 'left-mid': '', mid: '', 'mid-mid': '',
			right: '', 'right-mid': '', middle: '',
		},
	});
	for (const row of rows) {
		table.push(row.map(cell => cellContent(cell, maxWidth)));
	}
	return table.toString().split('\n').map(line => line.trimEnd()).join('\n');
}

/** Key/value lines for a detail view, keys padded to one column. */
export function renderPairs(pairs: Array<[string, Cell]>): string {
	const width = Math.max(...pairs.map(([key]) => key.length));
	const text = (cell: Cell): string => (cell !== null && typeof cell === 'object' ? cell.trusted : sanitizeLine(cell ?? '-'));
	return pairs.map(([key, cell]) => `${bold(key.padEnd(width))}  ${text(cell)}`).join('\n');
}
