/**
 * The selected row of a list, moved by the keymap's movement actions
 * (up, down, page-up, page-down, top, bottom) and kept inside the list as it
 * grows and shrinks between refreshes.
 *
 * Given the rows' ids, the selection stays on the same thing when rows come
 * and go above it (a new failure on top of the failed list must not move the
 * highlight to another job just before `r`); when that thing is gone, the
 * row that took its place is selected.
 */
import {useContext, useEffect, useLayoutEffect, useReducer} from 'react';
import type {ActionId} from '../keymap/commands.js';
import {UiContext, type KeyHandler, type Remembered} from './ui-context.js';

type Move =
	| {type: 'move'; action: ActionId; from: number; length: number; page: number; ids: readonly string[] | undefined}
	| {type: 'set'; index: number; id: string | undefined};

function step(from: number, action: ActionId, length: number, page: number): number {
	const last = Math.max(0, length - 1);
	switch (action) {
		case 'up':
			return Math.max(0, from - 1);
		case 'down':
			return Math.min(last, from + 1);
		case 'page-up':
			return Math.max(0, from - page);
		case 'page-down':
			return Math.min(last, from + page);
		case 'top':
			return 0;
		case 'bottom':
			return last;
		default:
			return from;
	}
}

function reduce(state: Remembered, move: Move): Remembered {
	if (move.type === 'set') return state.index === move.index && state.id === move.id ? state : {index: move.index, id: move.id};
	const index = step(move.from, move.action, move.length, move.page);
	return {index, id: move.ids?.[index]};
}

const MOVES = new Set<ActionId>(['up', 'down', 'page-up', 'page-down', 'top', 'bottom']);

/**
 * `rows`: the rows' ids (or just how many rows there are, for a scroll position).
 * `remember`: a key under which the selection outlives the view (back from a job, the same row is selected).
 */
export function useSelection(rows: readonly string[] | number, page: number, remember?: string): {index: number; move(action: ActionId): boolean; set(index: number): void} {
	const memory = useContext(UiContext)?.memory;
	const ids = typeof rows === 'number' ? undefined : rows;
	const length = typeof rows === 'number' ? rows : rows.length;
	const [state, dispatch] = useReducer(reduce, undefined, () => (remember && memory?.get(remember)) || {index: 0, id: undefined});
	const found = ids && state.id !== undefined ? ids.indexOf(state.id) : -1;
	const index = found >= 0 ? found : Math.max(0, Math.min(state.index, length - 1));
	const id = ids?.[index];
	// In the commit: the next key reads the row the screen shows, and its id anchors the selection.
	// Not while the list is empty (loading a page): the row asked for is kept until it arrives.
	useLayoutEffect(() => {
		if (length > 0) dispatch({type: 'set', index, id});
	}, [index, id, length]);
	useEffect(() => {
		if (remember) memory?.set(remember, {index, id});
	}, [memory, remember, index, id]);
	return {
		index,
		move(action) {
			if (!MOVES.has(action)) return false;
			dispatch({type: 'move', action, from: index, length, page: Math.max(1, page), ids});
			return true;
		},
		set: next => dispatch({type: 'set', index: next, id: undefined}),
	};
}

type MoveId = 'up' | 'down' | 'page-up' | 'page-down' | 'top' | 'bottom';

/** The movement keys of a selection, as a view's key handlers. */
export function moveKeys(selection: {move(action: ActionId): boolean}): {readonly [K in MoveId]: KeyHandler} {
	const move = (id: MoveId) => () => selection.move(id);
	return {up: move('up'), down: move('down'), 'page-up': move('page-up'), 'page-down': move('page-down'), top: move('top'), bottom: move('bottom')};
}

/** What every polled list does alike: the movement keys, and ^R to refresh now. */
export function listKeys(selection: {move(action: ActionId): boolean}, poll: {refresh(): unknown}): {readonly [K in MoveId | 'refresh']: KeyHandler} {
	return {
		...moveKeys(selection),
		refresh: () => {
			void poll.refresh();
		},
	};
}
