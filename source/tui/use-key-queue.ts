/**
 * Keys in line, each handled once what the previous one did is on screen.
 *
 * Ink re-subscribes a useInput handler in a passive effect after each render, so a key
 * arriving between a render and that effect (a loaded machine, keys sent by a script) would
 * meet the previous render's state: Tab twice would land on the same view. One handler for
 * the app's life reads the committed render's `onKey` instead.
 *
 * Keys typed fast (or sent by tmux) can arrive together, and React renders what a key did
 * only later: "jj" must be two moves, not the same move twice, "\t\tp" must pause a worker
 * on the workers view, not the queue the first view had selected, and "qq" must leave two
 * views. So keys wait in line, and each is handled once what the previous one did has been
 * committed (a turn is forced, in case the key changed nothing). A chunk of several
 * characters is split into keys, unless `isPaste()` says a prompt is open: then it is a paste.
 */
import {useInput} from 'ink';
import {useCallback, useLayoutEffect, useRef, useState} from 'react';
import type {InkKey} from '../keymap/dispatch.js';

export function useKeyQueue(onKey: (input: string, key: InkKey) => void, isPaste: () => boolean): void {
	const latestOnKey = useRef(onKey);
	const keys = useRef<Array<[string, InkKey]>>([]);
	const draining = useRef(false);
	const awaitingCommit = useRef(false);
	const [, setTurn] = useState(0);
	const drain = useCallback(() => {
		const next = keys.current.shift();
		if (!next) {
			draining.current = false;
			return;
		}
		latestOnKey.current(...next);
		awaitingCommit.current = true;
		setTurn(turn => turn + 1);
	}, []);
	useLayoutEffect(() => {
		latestOnKey.current = onKey;
		if (awaitingCommit.current) {
			awaitingCommit.current = false;
			setImmediate(drain);
		}
	});
	const latestIsPaste = useRef(isPaste);
	latestIsPaste.current = isPaste;
	const onInput = useCallback((input: string, key: InkKey) => {
		const pasting = latestIsPaste.current();
		const newline = pasting && input.length > 1 ? /\r\n|\r|\n/.exec(input) : null;
		if (newline) {
			// Typed into a prompt and Enter in one chunk (a fast typist, tmux, a paste ending in a
			// newline): the text goes to the prompt and the newline submits it. What a paste has
			// after its first line is dropped, never taken as keys (a "p" in it must not pause a queue).
			if (newline.index > 0) keys.current.push([input.slice(0, newline.index), {}]);
			keys.current.push(['\r', {return: true}]);
		} else if (!pasting && input.length > 1 && !key.ctrl && !key.meta && !key.escape) {
			for (const char of input) keys.current.push([char, {}]);
		} else keys.current.push([input, key]);
		if (draining.current) return;
		draining.current = true;
		drain();
	}, [drain]);
	useInput(onInput);
}
