/** The `?` overlay's state: open or not, and how far it is scrolled; its keys while open. */
import {useState} from 'react';
import type {Scope} from '../keymap/commands.js';
import {clampHelpOffset, helpLines} from './components/help-overlay.js';

export type Help = {open: boolean; offset: number; show(): void; /** A key while the overlay is open: Esc, ? or q close it, the movement keys scroll it. */ key(name: string): void};

export function useHelp(scope: Scope, readOnly: boolean, reason: string | undefined, columns: number, height: number): Help {
	const [open, setOpen] = useState(false);
	const [offset, setOffset] = useState(0);
	return {
		open,
		offset,
		show: () => setOpen(true),
		key(name) {
			if (name === 'escape' || name === '?' || name === 'q') {
				setOpen(false);
				setOffset(0);
				return;
			}
			const total = helpLines(scope, readOnly, Math.max(20, columns - 4), reason).length;
			const room = Math.max(1, height - 3);
			const step: Record<string, number> = {up: -1, k: -1, down: 1, j: 1, pageup: -room, 'ctrl-b': -room, pagedown: room, 'ctrl-f': room, space: room, g: -total, home: -total, G: total, end: total};
			if (step[name] !== undefined) setOffset(current => clampHelpOffset(current + step[name]!, total, room));
		},
	};
}
