/**
 * `?`: every key of the current view, then the global ones, from the keymap,
 * wrapped to the terminal's width (a description continues under itself,
 * never under the keys) and scrolled with the movement keys when it is
 * taller than the room it has (80×24, 60×20).
 *
 *   Keys of jobs — ↑↓ PgUp PgDn scroll · Esc or ? closes        1–18 of 41
 *   jobs
 *     Enter     show the selected job: data, error, stack trace, logs
 *     r         retry the marked failed jobs, or the selected one (writes)
 */
import {Box, Text} from 'ink';
import {sanitizeLine} from '../../common/sanitize.js';
import type {Scope} from '../../keymap/commands.js';
import {bindings, keyLabel} from '../../keymap/dispatch.js';

export type HelpLine = {text: string; heading?: boolean};

const KEYS_WIDTH = 12;

/** Cuts `text` into pieces of at most `width` characters, at spaces where it can. */
function wrap(text: string, width: number): string[] {
	const lines: string[] = [];
	let rest = text;
	while (rest.length > width) {
		const space = rest.lastIndexOf(' ', width);
		const cut = space > width / 3 ? space : width;
		lines.push(rest.slice(0, cut));
		rest = rest.slice(cut).trimStart();
	}
	lines.push(rest);
	return lines;
}

/** The overlay's lines at `width` columns (inside its border). */
export function helpLines(scope: Scope, readOnly: boolean, width: number, reason?: string): HelpLine[] {
	const actions = bindings(scope, readOnly);
	const room = Math.max(10, width - KEYS_WIDTH - 3);
	const lines: HelpLine[] = [];
	if (readOnly) lines.push(...wrap(`read-only${reason ? ` (${reason})` : ''}: keys that write are off`, width).map(text => ({text})));
	for (const [title, list] of [[scope, actions.filter(action => action.scope === scope)], ['everywhere', actions.filter(action => action.scope === 'global')]] as const) {
		if (list.length === 0) continue;
		lines.push({text: title, heading: true});
		for (const action of list) {
			const description = `${action.description}${action.dangerous ? ' (asks first)' : action.writes ? ' (writes)' : ''}`;
			wrap(description, room).forEach((piece, index) => {
				const keys = index === 0 ? action.keys.map(keyLabel).join(' ') : '';
				lines.push({text: ` ${keys.padEnd(KEYS_WIDTH).slice(0, KEYS_WIDTH)} ${piece}`});
			});
		}
	}
	return lines;
}

/** The first line shown for a scroll position, kept inside the overlay. */
export const clampHelpOffset = (offset: number, total: number, room: number): number => Math.max(0, Math.min(offset, total - room));

export function HelpOverlay({scope, readOnly, reason, width, height, offset}: {scope: Scope; readOnly: boolean; reason?: string; width: number; height: number; offset: number}) {
	const inner = Math.max(20, width - 4);
	const lines = helpLines(scope, readOnly, inner, reason);
	// Border (2) and title (1) take their rows.
	const room = Math.max(1, height - 3);
	const start = clampHelpOffset(offset, lines.length, room);
	const shown = lines.slice(start, start + room);
	const position = lines.length > room ? `${start + 1}–${start + shown.length} of ${lines.length}` : '';
	// What closes it first; how to scroll only where there is room for it beside the position.
	const hint = lines.length > room ? ' · ↑↓ PgUp PgDn scroll' : '';
	const base = `Keys of ${scope} · Esc or ? closes`;
	const title = base.length + hint.length + position.length + 1 <= inner ? base + hint : base;
	return (
		<Box flexDirection="column" borderStyle="round" paddingX={1} width={width} height={Math.min(height, lines.length + 3)}>
			<Text bold wrap="truncate-end">{position ? `${title.slice(0, Math.max(0, inner - position.length - 1)).padEnd(inner - position.length)}${position}` : title}</Text>
			{shown.map((line, index) => (
				<Text key={start + index} wrap="truncate-end" {...(line.heading ? {underline: true} : {})}>
					{sanitizeLine(line.text)}
				</Text>
			))}
		</Box>
	);
}
