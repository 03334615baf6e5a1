/**
 * Keys route down a stack (docs/ARCHITECTURE.md, "The key table"): the focused view's scope first,
 * then the global keys. `keyName` turns Ink's (input, key) pair into the
 * names the table uses; `resolve` finds the action; `bindings` lists what a
 * scope offers, for the footer and the help overlay. Read-only mode drops
 * every action that writes, so it is never bound, not just hidden.
 */
import {keymap, type KeyAction, type Scope} from './commands.js';

/** The subset of Ink's Key this needs (keymap/ never imports Ink). */
export type InkKey = {
	upArrow?: boolean;
	downArrow?: boolean;
	leftArrow?: boolean;
	rightArrow?: boolean;
	pageUp?: boolean;
	pageDown?: boolean;
	home?: boolean;
	end?: boolean;
	return?: boolean;
	escape?: boolean;
	ctrl?: boolean;
	shift?: boolean;
	tab?: boolean;
	backspace?: boolean;
	delete?: boolean;
	meta?: boolean;
};

/** "j", "R", "up", "enter", "escape", "tab", "shift-tab", "space", "ctrl-c", "pagedown"… or "" for nothing usable. */
export function keyName(input: string, key: InkKey): string {
	if (key.upArrow) return 'up';
	if (key.downArrow) return 'down';
	if (key.leftArrow) return 'left';
	if (key.rightArrow) return 'right';
	if (key.pageUp) return 'pageup';
	if (key.pageDown) return 'pagedown';
	if (key.home) return 'home';
	if (key.end) return 'end';
	if (key.return) return 'enter';
	if (key.escape) return 'escape';
	if (key.tab) return key.shift ? 'shift-tab' : 'tab';
	if (key.backspace || key.delete) return 'backspace';
	if (key.ctrl && input.length === 1) return `ctrl-${input.toLowerCase()}`;
	// Raw characters (from a chunk of several keys split one by one).
	if (input === ' ') return 'space';
	if (input === '\t') return 'tab';
	if (input === '\r' || input === '\n') return 'enter';
	if (input === '\u007F' || input === '\b') return 'backspace';
	if (input.length === 1 && input < ' ') return `ctrl-${String.fromCharCode(input.charCodeAt(0) + 96)}`;
	return input.length === 1 ? input : '';
}

/** The actions a scope offers (its own first, then the global ones), without writes in read-only mode. */
export function bindings(scope: Scope, readOnly: boolean): KeyAction[] {
	const usable = (action: KeyAction) => !(readOnly && action.writes);
	return [...keymap.filter(action => action.scope === scope && usable(action)), ...keymap.filter(action => action.scope === 'global' && usable(action))];
}

/** The action a key triggers in `scope`, if any: the view's binding wins over a global one. */
export function resolve(name: string, scope: Scope, readOnly: boolean): KeyAction | undefined {
	if (!name) return undefined;
	return bindings(scope, readOnly).find(action => action.keys.includes(name));
}

/** How a key is written for people: "shift-tab" → "S-Tab", "space" → "Space", "ctrl-c" → "^C". */
export function keyLabel(name: string): string {
	const special: Record<string, string> = {up: '↑', down: '↓', enter: 'Enter', escape: 'Esc', tab: 'Tab', 'shift-tab': 'S-Tab', space: 'Space', pageup: 'PgUp', pagedown: 'PgDn', home: 'Home', end: 'End'};
	if (special[name]) return special[name];
	if (name.startsWith('ctrl-')) return `^${name.slice(5).toUpperCase()}`;
	return name;
}
