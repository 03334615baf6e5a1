/**
 * The key line at the bottom, built from the keymap (docs/ARCHITECTURE.md, "The key table"):
 *
 *   Enter jobs  / filter  p pause/resume  R retry all  F flush failed  ? help  q back/quit
 */
import {Text} from 'ink';
import type {Scope} from '../../keymap/commands.js';
import {bindings, keyLabel} from '../../keymap/dispatch.js';

export function Footer({scope, readOnly, width}: {scope: Scope; readOnly: boolean; width: number}) {
	const parts = bindings(scope, readOnly)
		.filter(action => !action.hidden)
		.map(action => `${keyLabel(action.keys[0]!)} ${action.label}`);
	let text = '';
	for (const part of parts) {
		if (text.length + part.length + 2 > width) break;
		text = text ? `${text}  ${part}` : part;
	}
	return <Text dimColor>{text}</Text>;
}
