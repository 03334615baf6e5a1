/**
 * A cursor over streamed lines, and a text filter over them: the movement
 * keys move the cursor (the selected line) and the window follows it,
 * anchored to lines so the page stays still while new lines arrive below; the
 * cursor stays on the newest line (following) until moved up, and G or End
 * returns it there. `/` asks for the filter text, Esc clears it; `hide` takes
 * lines out too (counted in `hidden`); `height` is how many rows a line takes
 * (wrapped). `keys` are the view's handlers for all that.
 */
import {useState} from 'react';
import type {ActionId} from '../keymap/commands.js';
import {FOLLOWING, scrollMove, scrollWindow, type Scroll} from '../present/scroll-window.js';
import type {KeyHandler, Ui} from './ui-context.js';

type ScrollKeys = {readonly [K in 'up' | 'down' | 'page-up' | 'page-down' | 'top' | 'bottom' | 'filter' | 'cancel']: KeyHandler};

export type Scrollback<E> = {
	/** The lines the filter (and `hide`) leave, and the window of them on screen. */
	shown: E[];
	start: number;
	end: number;
	/** The selected line, if any. */
	selected: E | undefined;
	filter: string;
	/** Lines the filter matches but `hide` takes out. */
	hidden: number;
	/** The cursor is off the newest line. */
	scrolled: boolean;
	keys: ScrollKeys;
};

export function useScrollback<E extends {seq: number; search: string}>(entries: readonly E[], options: {rows: number; ui: Ui; promptTitle: string; height?: (entry: E) => number; hide?: (entry: E) => boolean}): Scrollback<E> {
	const {rows, ui, promptTitle, height, hide} = options;
	const [filter, setFilter] = useState('');
	const [scroll, setScroll] = useState<Scroll>(FOLLOWING);
	const needle = filter.toLowerCase();
	const matching = needle ? entries.filter(entry => entry.search.includes(needle)) : entries;
	const shown = hide ? matching.filter(entry => !hide(entry)) : [...matching];
	const {start, end, cursor} = scrollWindow(shown, scroll, rows, height);
	const move = (action: ActionId) => () => {
		if (shown.length === 0) return false;
		// Functional update: keys that arrive as one chunk run before a render.
		setScroll(current => scrollMove(shown, current, rows, action, height) ?? current);
	};
	return {
		shown,
		start,
		end,
		selected: shown[cursor],
		filter,
		hidden: matching.length - shown.length,
		scrolled: scroll.cursor !== null,
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
