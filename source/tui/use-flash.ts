/**
 * The flash line's message, which belongs to the view that raised it (its
 * place in the stack): another view never shows it, and coming back to a
 * view does not bring back what it said before.
 */
import {useCallback, useRef, useState} from 'react';
import type {Route} from './ui-context.js';

export type Flash = {text: string; kind: 'info' | 'error'};

const ownerOf = (stack: readonly Route[]): string => `${stack.length}:${stack.at(-1)!.view}`;

export function useFlash(stack: readonly Route[]): {flash: Flash | undefined; show(text: string, kind?: Flash['kind']): void} {
	const [flash, setFlash] = useState<(Flash & {owner: string}) | undefined>(undefined);
	const owner = useRef(ownerOf(stack));
	owner.current = ownerOf(stack);
	const show = useCallback((text: string, kind: Flash['kind'] = 'info') => setFlash({text, kind, owner: owner.current}), []);
	// Gone once its view is left: a view that later takes the same place in the stack (`:workers`, then `:queues`
	// again) is a new visit. Cleared during this render, so the message is never drawn after the view changed.
	if (flash && flash.owner !== owner.current) {
		setFlash(undefined);
		return {flash: undefined, show};
	}
	return {flash, show};
}
