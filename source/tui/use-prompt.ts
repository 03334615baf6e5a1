/**
 * The one-line prompt under the view (filters, confirmations, the `:`
 * command line): its state, kept in a ref as well, since keys typed faster
 * than a render must see each other's edits; and `edit`, which applies one key.
 */
import {useCallback, useRef, useState} from 'react';
import type {InkKey} from '../keymap/dispatch.js';
import {editPrompt, type PromptState} from './components/prompt.js';

export type PromptControl = {
	prompt: PromptState | undefined;
	isOpen(): boolean;
	setPrompt(next: PromptState | undefined): void;
	/** Applies one key to the open prompt (Tab completes, Enter submits, Esc cancels). */
	edit(input: string, name: string, key: InkKey): void;
};

export function usePrompt(): PromptControl {
	const [prompt, setPromptState] = useState<PromptState | undefined>(undefined);
	const current = useRef<PromptState | undefined>(undefined);
	const setPrompt = useCallback((next: PromptState | undefined) => {
		current.current = next;
		setPromptState(next);
	}, []);
	const edit = useCallback((input: string, name: string, key: InkKey) => {
		const open = current.current;
		if (!open) return;
		if (name === 'tab' && open.complete) {
			setPrompt({...open, value: open.complete(open.value)});
			return;
		}
		// A key split from a chunk comes raw: its Enter and Backspace still edit.
		const next = editPrompt(open.value, input, name === 'enter' ? {return: true} : name === 'backspace' ? {backspace: true} : key);
		if (typeof next === 'string') {
			setPrompt({...open, value: next});
			open.onChange?.(next);
			return;
		}
		setPrompt(undefined);
		if (next.done === 'submit') open.onSubmit(open.value);
		else open.onCancel?.();
	}, [setPrompt]);
	return {prompt, isOpen: () => current.current !== undefined, setPrompt, edit};
}
