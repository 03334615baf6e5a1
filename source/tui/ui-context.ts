/**
 * What a view gets from the app: the API, its room on screen, navigation,
 * prompts, a flash line, and `useActions` to receive the keymap's action ids
 * (views never see raw keys; docs/ARCHITECTURE.md, "The key table").
 */
import {createContext, useContext, useLayoutEffect, useRef} from 'react';
import type {ActionId, ForwardedId, ViewActionId, ViewScope} from '../keymap/commands.js';
import type {TableState} from '../present/table-model.js';
import type {ConsoleApi, Suspend} from '../store/console-api.js';

export type Route =
	| {view: 'queues'}
	| {view: 'jobs'; queue?: string; state?: string; offset?: number; filter?: string}
	| {view: 'job'; queue: string; id: string}
	| {view: 'metrics'; queue: string}
	/** `:find`: the jobs of a whole state holding a text; without a queue, the first known one. */
	| {view: 'search'; queue?: string; state: string; text: string}
	| {view: 'workers'}
	| {view: 'schedules'}
	| {view: 'services'}
	| {view: 'logs'; service?: string; job?: {queue: string; id: string}}
	| {view: 'events'};

export type Confirm = {
	/** What will happen, one line. */
	summary: string;
	/** What must be typed: the queue name, or "yes". */
	expected: string;
	onConfirm(): void;
};

export type Ui = {
	api: ConsoleApi;
	/** Columns, and rows left for the view's body. */
	width: number;
	height: number;
	navigate(route: Route): void;
	/** Records the focused view's own state in its route (without remounting it), so back returns to it; ignored once another view has the focus. */
	replace(route: Route): void;
	/** A one-line text prompt (filters); onChange sees the text as it is typed (a filter that applies as you type; Esc restores `initial`). */
	prompt(options: {title: string; initial?: string; onSubmit(value: string): void; onChange?(value: string): void}): void;
	/** Asks for `expected` to be typed before a dangerous action. */
	confirm(options: Confirm): void;
	flash(text: string, kind?: 'info' | 'error'): void;
	/** What views remember across navigation (the selected row when you come back), by key. */
	memory: Map<string, Remembered>;
	/** Each table's filter, sort and problems toggle, by view, for the session. */
	tables: Map<string, TableState>;
	/**
	 * Runs an action: its outcome (or its error, one line) in the flash line, then `after`
	 * (a refresh). One at a time: while one runs (`what`, for the messages), another is refused.
	 */
	act<T>(work: () => Promise<T>, describe: (result: T) => string, after?: () => unknown, what?: string, undo?: Undo): void;
	/** Hands the terminal to another program (the pager) while `run` runs. */
	suspend: Suspend;
};

/** What u does after an action that can be taken back (pause ↔ resume): its label, and the opposite action. */
export type Undo = {label: string; run(): void};

/** A list's selection as remembered: its row, and the id of what was on it. */
export type Remembered = {index: number; id: string | undefined};

export type ActionHandler = (id: ActionId) => boolean;

export const UiContext = createContext<Ui | undefined>(undefined);
export const HandlerContext = createContext<{current: ActionHandler | undefined}>({current: undefined});

export function useUi(): Ui {
	const ui = useContext(UiContext);
	if (!ui) throw new Error('useUi outside the console app');
	return ui;
}

/** A key's handler: false when it found nothing to act on (the app then says "nothing selected"). */
export type KeyHandler = () => boolean | void;

/**
 * A view's keys: a handler for every action the key table gives its scope —
 * a table entry without a handler here does not compile — and, optionally,
 * the global actions it takes first (movement, refresh, Esc, back).
 */
export type ViewKeys<S extends ViewScope> = {readonly [K in ViewActionId<S>]: KeyHandler} & {readonly [K in ForwardedId]?: KeyHandler};

/** Registers the focused view's keys (docs/ARCHITECTURE.md, "The key table"). */
export function useViewKeys<S extends ViewScope>(keys: ViewKeys<S>): void {
	useActions(id => {
		const run = (keys as Partial<Record<ActionId, KeyHandler>>)[id];
		return run ? run() !== false : false;
	});
}

/** Registers the focused view's action handler; it returns true when it used the action. */
function useActions(handler: ActionHandler): void {
	const slot = useContext(HandlerContext);
	const latest = useRef(handler);
	latest.current = handler;
	// In the commit (a layout effect), not after it: a key that arrives right after a view
	// appears must reach that view, not the one it replaced.
	useLayoutEffect(() => {
		const forward: ActionHandler = id => latest.current(id);
		slot.current = forward;
		return () => {
			if (slot.current === forward) slot.current = undefined;
		};
	}, [slot]);
}
