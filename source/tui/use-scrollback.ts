/**
 * Scrolling back through streamed lines, and a text filter over them: the
 * movement keys move a window anchored to a line (so the page stays still
 * while new lines arrive below it; G or End returns to the newest), `/` asks
 * for the filter text, Esc clears it; `keys` are the view's handlers for them.
 */
import {useState} from 'react';
import type {ActionId} from '../keymap/commands.js';
import {logWindow} from '../present/process-rows.js';
import type {KeyHandler, Ui} from './ui-context.js';

type ScrollKeys = {readonly [K in 'up' | 'down' | 'page-up' | 'page-down' | 'top' | 'bottom' | 'filter' | 'cancel']: KeyHandler};

export function useScrollback<E extends {seq: number; search: string}>(entries: readonly E[], page: number, ui: Ui, promptTitle: string): {shown: E[]; start: number; end: number; filter: string; scrolled: boolean; keys: ScrollKeys} {
	const [filter, setFilter] = useState('');
	const [anchor, setAnchor] = useState<number | null>(null);
	const needle = filter.toLowerCase();
	const shown = needle ? entries.filter(entry => entry.search.includes(needle)) : [...entries];
	const {start, end} = logWindow(shown, anchor, page);
	const move = (action: ActionId) => () => {
		if (!logWindow(shown, anchor, page, action).moved) return;
		// Functional update: keys that arrive as one chunk run before a render.
		setAnchor(current => logWindow(shown, current, page, action).anchor);
	};
	return {
		shown,
		start,
		end,
		filter,
		scrolled: anchor !== null,
		keys: {
			up: move('up'),
			down: move('down'),
			'page-up': move('page-up'),
			'page-down': move('page-down'),
			top: move('top'),
			bottom: move('bottom'),
			filter: () => ui.prompt({title: promptTitle, initial: filter, onSubmit: setFilter}),
			cancel: () => {
				if (!filter) return false;
				setFilter('');
			},
		},
	};
}
