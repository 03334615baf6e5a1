/**
 * Scrolling back through streamed lines, and a text filter over them: the
 * movement keys move a window anchored to a line (so the page stays still
 * while new lines arrive below it; G or End returns to the newest), `/` asks
 * for the filter text, Esc clears it. `handle` returns true for the actions
 * it used.
 */
import {useState} from 'react';
import type {ActionId} from '../keymap/commands.js';
import {logWindow} from '../present/process-rows.js';
import type {Ui} from './ui-context.js';

export function useScrollback<E extends {seq: number; search: string}>(entries: readonly E[], page: number, ui: Ui, promptTitle: string): {shown: E[]; start: number; end: number; filter: string; scrolled: boolean; handle(action: ActionId): boolean} {
	const [filter, setFilter] = useState('');
	const [anchor, setAnchor] = useState<number | null>(null);
	const needle = filter.toLowerCase();
	const shown = needle ? entries.filter(entry => entry.search.includes(needle)) : [...entries];
	const {start, end} = logWindow(shown, anchor, page);
	return {
		shown,
		start,
		end,
		filter,
		scrolled: anchor !== null,
		handle(action) {
			// Functional update: keys that arrive as one chunk run before a render.
			if (logWindow(shown, anchor, page, action).moved) {
				setAnchor(current => logWindow(shown, current, page, action).anchor);
				return true;
			}
			if (action === 'filter') {
				ui.prompt({title: promptTitle, initial: filter, onSubmit: setFilter});
				return true;
			}
			if (action === 'cancel' && filter) {
				setFilter('');
				return true;
			}
			return false;
		},
	};
}
