/** The Ui value views get from the app (ui-context.ts), built once per size and api. */
import {useMemo} from 'react';
import type {TableState} from '../present/table-model.js';
import type {ConsoleApi} from '../store/console-api.js';
import type {PromptState} from './components/prompt.js';
import type {navigate} from './navigation.js';
import type {Remembered, Ui, Undo} from './ui-context.js';

type UiDeps = {
	api: ConsoleApi;
	columns: number;
	rows: number;
	go: (event: Parameters<typeof navigate>[1]) => void;
	setPrompt: (next: PromptState | undefined) => void;
	show: (text: string, kind?: 'info' | 'error') => void;
	memory: Map<string, Remembered>;
	tables: Map<string, TableState>;
	/** What runs now (one action at a time), for the messages. */
	busy: {current: string | undefined};
	lastUndo: {current: Undo | undefined};
	suspend: Ui['suspend'];
};

/**
 * What views get from the app (ui-context.ts). One action at a time: a second p must not race
 * the first (pause, then pause again instead of resume), t t must not enqueue two runs, and
 * quitting while one runs asks first.
 */
export function useUiValue({api, columns, rows, go, setPrompt, show, memory, tables, busy, lastUndo, suspend}: UiDeps): Ui {
	return useMemo((): Ui => {
		const refuseWhileBusy = (): boolean => {
			if (!busy.current) return false;
			show(`wait: ${busy.current} is still running`, 'error');
			return true;
		};
		return {
			api,
			width: columns,
			height: Math.max(3, rows - 4),
			navigate: next => go({type: 'push', route: next}),
			replace: next => go({type: 'replace', route: next}),
			prompt: ({title, initial: value = '', onSubmit, onChange}) =>
				setPrompt({title, value, onSubmit, ...(onChange ? {onChange, onCancel: () => onChange(value)} : {})}),
			confirm: ({summary, expected, onConfirm}) =>
				refuseWhileBusy() ||
				setPrompt({
					title: `${summary} Type "${expected}" to confirm:`,
					value: '',
					onSubmit: typed => {
						if (typed === expected) onConfirm();
						else show(`not confirmed (typed "${typed}", expected "${expected}")`, 'error');
					},
				}),
			flash: show,
			memory,
			tables,
			suspend,
			act: (work, describe, after, what = 'the last action', undo) => {
				if (refuseWhileBusy()) return;
				busy.current = what;
				show('working…');
				void (async () => {
					try {
						const done = describe(await work());
						lastUndo.current = undo;
						show(undo ? `${done} · u: ${undo.label}` : done);
					} catch (error) {
						show(error instanceof Error ? error.message : String(error), 'error');
					}
					// Refreshed (also after an error: a bulk action may have done part of its work)
					// before the next action: a toggle must read the new state, not the old one.
					try {
						await after?.();
					} finally {
						busy.current = undefined;
					}
				})();
			},
		};
	}, [api, columns, rows, go, setPrompt, show, memory, tables, busy, lastUndo, suspend]);
}
