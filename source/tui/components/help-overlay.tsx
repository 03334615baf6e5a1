/**
 * `?`: every key of the current view, then the global ones, from the keymap.
 *
 *   jobs
 *     Enter     show the selected job: data, error, stack trace, logs
 *     r         retry the marked failed jobs, or the selected one   (writes)
 */
import {Box, Text} from 'ink';
import {sanitizeLine} from '../../shared/sanitize.js';
import type {Scope} from '../../keymap/commands.js';
import {bindings, keyLabel} from '../../keymap/dispatch.js';

export function HelpOverlay({scope, readOnly, reason}: {scope: Scope; readOnly: boolean; reason?: string}) {
	const actions = bindings(scope, readOnly);
	const groups: Array<[string, typeof actions]> = [
		[scope, actions.filter(action => action.scope === scope)],
		['everywhere', actions.filter(action => action.scope === 'global')],
	];
	return (
		<Box flexDirection="column" borderStyle="round" paddingX={1}>
			<Text bold>Keys{readOnly ? ` (read-only${reason ? `, ${sanitizeLine(reason)}` : ''}: keys that write are off)` : ''} — Esc or ? to close</Text>
			{groups.map(([title, list]) => (
				<Box key={title} flexDirection="column" marginTop={1}>
					<Text underline>{title}</Text>
					{list.map(action => (
						<Text key={`${action.scope}-${action.id}`}>
							{`  ${action.keys.map(keyLabel).join(' ').padEnd(12)} ${action.description}${action.dangerous ? '  (asks first)' : ''}`}
						</Text>
					))}
				</Box>
			))}
		</Box>
	);
}
