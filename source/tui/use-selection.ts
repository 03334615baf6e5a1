/**
 * The selected row of a list, moved by the keymap's movement actions
 * (up, down, page-up, page-down, top, bottom) and kept inside the list as it
 * grows and shrinks between refreshes.
 */
import {useContext, useEffect, useReducer} from 'react';
import type {ActionId} from '../keymap/commands.js';
import {UiContext} from './ui-context.js';

type Move = {type: 'move'; action: ActionId; length: number; page: number} | {type: 'set'; index: number};

function reduce(index: number, move: Move): number {
	if (move.type === 'set') return move.index;
	const last = Math.max(0, move.length - 1);
	switch (move.action) {
		case 'up':
			return Math.max(0, index - 1);
		case 'down':
			return Math.min(last, index + 1);
		case 'page-up':
			return Math.max(0, index - move.page);
		case 'page-down':
			return Math.min(last, index + move.page);
		case 'top':
			return 0;
		case 'bottom':
			return last;
		default:
			return index;
	}
}

const MOVES = new Set<ActionId>(['up', 'down', 'page-up', 'page-down', 'top', 'bottom']);

/** `remember`: a key under which the selection outlives the view (back from a job, the same row is selected). */
export function useSelection(length: number, page: number, remember?: string): {index: number; move(action: ActionId): boolean; set(index: number): void} {
	const memory = useContext(UiContext)?.memory;
	const [raw, dispatch] = useReducer(reduce, (remember && memory?.get(remember)) || 0);
	const index = Math.max(0, Math.min(raw, length - 1));
	useEffect(() => {
		if (remember) memory?.set(remember, raw);
	}, [memory, remember, raw]);
	return {
		index,
		move(action) {
			if (!MOVES.has(action)) return false;
			dispatch({type: 'move', action, length, page: Math.max(1, page)});
			return true;
		},
		set: next => dispatch({type: 'set', index: next}),
	};
}

/** What every polled list does alike: the movement keys, and ^R to refresh now. True when it used the action. */
export function listAction(action: ActionId, selection: {move(action: ActionId): boolean}, poll: {refresh(): void}): boolean {
	if (selection.move(action)) return true;
	if (action === 'refresh') {
		poll.refresh();
		return true;
	}
	return false;
}
