/**
 * A one-line prompt under the view (filters, typed confirmations):
 *
 *   Delete 3 failed jobs of "emails"? Type "emails" to confirm: ema█   (Esc cancels)
 */
import {Text} from 'ink';
import {sanitizeLine} from '../../common/sanitize.js';

export type PromptState = {
	title: string;
	value: string;
	onSubmit(value: string): void;
	/** Each edit (a filter that applies as you type). */
	onChange?(value: string): void;
	/** Esc (a live filter goes back to what it was). */
	onCancel?(): void;
	/** Tab: the value completed (the `:` command line). */
	complete?(value: string): string;
	/** What the typed word could become, shown after the prompt. */
	hint?(value: string): string;
};

/** Applies one key to the prompt's text; returns the new value, or "submit"/"cancel". */
export function editPrompt(value: string, input: string, key: {return?: boolean; escape?: boolean; backspace?: boolean; delete?: boolean; ctrl?: boolean; meta?: boolean}): string | {done: 'submit' | 'cancel'} {
	if (key.return) return {done: 'submit'};
	if (key.escape) return {done: 'cancel'};
	if (key.backspace || key.delete) return value.slice(0, -1);
	if (key.ctrl && input === 'u') return '';
	if (key.ctrl || key.meta) return value;
	// Printable characters only (a paste may bring anything).
	const printable = [...input].filter(char => char >= ' ' && char !== '\u007f').join('');
	return (value + printable).slice(0, 200);
}

export function Prompt({state, width}: {state: PromptState; width: number}) {
	const hint = state.hint?.(state.value) ?? '';
	return (
		<Text>
			<Text bold>{sanitizeLine(state.title)}{state.title === ':' ? '' : ' '}</Text>
			<Text>{sanitizeLine(state.value)}</Text>
			<Text inverse> </Text>
			<Text dimColor>{hint ? `  ${sanitizeLine(hint)}` : width >= 60 ? ' (Enter to submit, Esc to cancel)' : ''}</Text>
		</Text>
	);
}
