/**
 * A view's table state — filter (applied as it is typed), sort, problems
 * first/only — kept for the session under the view's name, so it is still
 * there after a visit to a queue and back; and the keys that change it.
 */
import {useMemo, useState} from 'react';
import {arrangeRows, DEFAULT_TABLE, nextProblems, nextSort, reverseSort, sortedHead, tableFacts, type TableRow, type TableState} from '../present/table-model.js';
import type {ListProps} from './components/list.js';
import type {KeyHandler, Ui} from './ui-context.js';
import {useStable} from './use-stable.js';

export type TableKeys = {readonly [K in 'filter' | 'cancel' | 'sort' | 'reverse-sort' | 'problems']: KeyHandler};

export type Table = {
	shown: TableRow[];
	state: TableState;
	head: string[];
	/** What the List draws of the shown rows: `<List {...table.list} …/>`. */
	list: Pick<ListProps, 'head' | 'rows' | 'tones' | 'cellTones'>;
	keys: TableKeys;
	/** "3/204 of 210 · filter "em"", for the status line. */
	facts(selected: number, total: number): string;
};

export function useTable(ui: Ui, name: string, rows: readonly TableRow[], head: readonly string[], numeric: ReadonlySet<number>, promptTitle: string): Table {
	const [state, setLocal] = useState<TableState>(() => ui.tables.get(name) ?? DEFAULT_TABLE);
	const set = (update: (current: TableState) => TableState) =>
		setLocal(current => {
			const next = update(current);
			ui.tables.set(name, next);
			return next;
		});
	const setFilter = (filter: string) => set(current => ({...current, filter}));
	// Arranged once per change of the rows' data or the state, not on every render or refresh (500 queues).
	const stableRows = useStable(rows);
	const shown = useMemo(() => arrangeRows(stableRows, state), [stableRows, state]);
	const shownHead = useMemo(() => sortedHead(head, state), [head, state]);
	const list = useMemo(() => ({head: shownHead, rows: shown.map(row => row.cells), tones: shown.map(row => row.tone), cellTones: shown.map(row => row.cellTones)}), [shownHead, shown]);
	return {
		shown,
		state,
		head: shownHead,
		list,
		facts: (selected, total) => tableFacts(state, selected, shown.length, total),
		keys: {
			filter: () => ui.prompt({title: promptTitle, initial: state.filter, onSubmit: setFilter, onChange: setFilter}),
			cancel: () => {
				if (!state.filter && state.problems !== 'only') return false;
				set(current => (current.filter ? {...current, filter: ''} : {...current, problems: 'all'}));
			},
			sort: () => set(current => nextSort(current, head.length, numeric)),
			'reverse-sort': () => set(reverseSort),
			problems: () => set(nextProblems),
		},
	};
}
