/**
 * What every table of the console does alike, as pure steps over its rows:
 * the filter (as you type), "problems first / only", and a sort by any
 * column. A row says how healthy it is (its tone), and may colour single
 * cells; the palette (tui/palette.ts) turns tones into colours, one meaning
 * each: bad (failed, dead, stopped, jobs and nobody serving them) and warn
 * (paused, stale, waiting too long, over a threshold).
 */

export type Tone = 'bad' | 'warn' | 'ok' | undefined;

export type TableRow = {
	/** What the selection follows across refreshes. */
	id: string;
	cells: readonly string[];
	tone?: Tone;
	/** Cells with a tone of their own (a FAILED count above 0 on a healthy row). */
	cellTones?: Readonly<Record<number, Tone>>;
	/** Values to sort by, where the cell's text does not sort right ("2m 10s"); null or absent: the cell's text. */
	sortKeys?: ReadonlyArray<string | number | null>;
	/** Text the filter looks in, lower case; the cells when absent. */
	search?: string;
	/** Worth a look though not coloured as a whole (a queue with failed jobs: its FAILED cell is red). */
	problem?: boolean;
};

export type Problems = 'all' | 'first' | 'only';

export type TableState = {
	filter: string;
	/** The column sorted by, or none (the data's own order). */
	sort: {column: number; descending: boolean} | undefined;
	problems: Problems;
};

export const DEFAULT_TABLE: TableState = {filter: '', sort: undefined, problems: 'all'};

const rank = (row: TableRow): number => (row.tone === 'bad' ? 0 : row.tone === 'warn' || row.problem === true ? 1 : 2);

export const isProblem = (row: TableRow): boolean => rank(row) < 2;

/** A row's value in a column: its sort key when it has one, else its cell (a number when it reads as one); "-" and empty sort last. */
function sortValue(row: TableRow, column: number): string | number | null {
	const key = row.sortKeys?.[column];
	if (typeof key === 'number' || typeof key === 'string') return key;
	const text = (row.cells[column] ?? '').trim();
	if (text === '' || text === '-') return null;
	const number = Number(text.replaceAll(',', ''));
	return Number.isFinite(number) ? number : text.toLowerCase();
}

function compare(a: string | number | null, b: string | number | null): number {
	if (a === b) return 0;
	if (a === null) return 1;
	if (b === null) return -1;
	if (typeof a === 'number' && typeof b === 'number') return a - b;
	return String(a).localeCompare(String(b));
}

/** The rows to show, in order: filtered, problems kept or put first, sorted (a stable sort). */
export function arrangeRows(rows: readonly TableRow[], state: TableState): TableRow[] {
	const needle = state.filter.toLowerCase();
	let shown = needle ? rows.filter(row => (row.search ?? row.cells.join(' ').toLowerCase()).includes(needle)) : [...rows];
	if (state.problems === 'only') shown = shown.filter(row => isProblem(row));
	const {sort} = state;
	if (sort) {
		shown = shown
			.map((row, index) => ({row, index}))
			.sort((a, b) => {
				const order = compare(sortValue(a.row, sort.column), sortValue(b.row, sort.column));
				return (sort.descending ? -order : order) || a.index - b.index;
			})
			.map(entry => entry.row);
	}
	if (state.problems === 'first') shown = shown.map((row, index) => ({row, index})).sort((a, b) => rank(a.row) - rank(b.row) || a.index - b.index).map(entry => entry.row);
	return shown;
}

/** o: the next column to sort by (numbers start high-first, names A–Z), then none again. */
export function nextSort(state: TableState, columns: number, numeric: ReadonlySet<number>): TableState {
	const next = state.sort === undefined ? 0 : state.sort.column + 1;
	return {...state, sort: next >= columns ? undefined : {column: next, descending: numeric.has(next)}};
}

/** O: the same column the other way. */
export const reverseSort = (state: TableState): TableState => (state.sort ? {...state, sort: {...state.sort, descending: !state.sort.descending}} : state);

/** !: all → problems first → problems only → all. */
export const nextProblems = (state: TableState): TableState => ({...state, problems: state.problems === 'all' ? 'first' : state.problems === 'first' ? 'only' : 'all'});

/** The header's titles, the sorted one marked with its direction. */
export const sortedHead = (head: readonly string[], state: TableState): string[] =>
	head.map((title, column) => (state.sort?.column === column ? `${title}${state.sort.descending ? '↓' : '↑'}` : title));

/** "12/204", and what narrows the rows: for the status line. */
export function tableFacts(state: TableState, selected: number, shown: number, total: number): string {
	const facts = [shown === 0 ? `0/${total}` : `${selected + 1}/${shown}${shown === total ? '' : ` of ${total}`}`];
	if (state.filter) facts.push(`filter "${state.filter}"`);
	if (state.problems !== 'all') facts.push(`problems ${state.problems}`);
	return facts.join(' · ');
}
