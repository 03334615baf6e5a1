/** The console's Suspend (store/console-api.ts): see useSuspend. */
import {useStdin, useStdout} from 'ink';
import {useCallback, useRef} from 'react';
import type {Suspend} from '../store/console-api.js';
import {atMost} from '../util/bounded.js';
import {onSignals} from '../util/signals.js';

/**
 * Escape sequences of the terminal itself (never job text). The console runs on the alternate
 * screen (tui/terminal.ts); a pager such as less switches to it and back to the main screen when
 * it ends, so the console clears it before and enters it again after.
 */
const ALTERNATE_SCREEN = '\u001B[?1049h';
const CLEAR = '\u001B[2J\u001B[H';
const HIDE_CURSOR = '\u001B[?25l';

/**
 * Handing the terminal to another program (the pager) and taking it back.
 * Ink stops reading keys (raw mode off, and stdin paused: Node would read
 * the pager's keys otherwise) and its frames go nowhere, on a screen of the
 * pager's own; afterwards the console is drawn whole again. ^C meanwhile is
 * the pager's (less stops a search with it); SIGTERM and SIGHUP end the pager,
 * give the screen back and then end the console as they always do.
 */
export function useSuspend(): Suspend {
	const {stdin, setRawMode} = useStdin();
	const {stdout, write: redraw} = useStdout();
	const held = useRef(false);
	return useCallback(async <T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> => {
		if (held.current) throw new Error('the terminal is handed over already');
		held.current = true;
		const write = stdout.write;
		setRawMode(false);
		// Node stops reading the terminal only once nothing listens (a turn later) and stdin is paused.
		await new Promise(resolve => setImmediate(resolve));
		stdin.pause();
		write.call(stdout, CLEAR);
		stdout.write = ((_chunk: unknown, ...rest: unknown[]) => {
			(rest.find(item => typeof item === 'function') as (() => void) | undefined)?.();
			return true;
		}) as typeof stdout.write;
		let given = false;
		const giveBack = () => {
			if (given) return;
			given = true;
			stdout.write = write;
			write.call(stdout, ALTERNATE_SCREEN + CLEAR + HIDE_CURSOR);
		};
		const controller = new AbortController();
		let running: Promise<T> | undefined;
		// ^C is the pager's while it runs: taken here and dropped.
		const keepInterrupts = onSignals(() => undefined, {signals: ['SIGINT']});
		const stop = (signal: NodeJS.Signals) => {
			keepInterrupts();
			controller.abort();
			void atMost<unknown>(running ?? Promise.resolve(), 2000).then(() => {
				giveBack();
				process.kill(process.pid, signal);
			});
		};
		const stopOn = onSignals(signal => stop(signal), {signals: ['SIGTERM', 'SIGHUP'], once: true});
		try {
			running = run(controller.signal);
			return await running;
		} finally {
			stopOn();
			if (!controller.signal.aborted) {
				keepInterrupts();
				giveBack();
				setRawMode(true);
				// Ink erases what it last drew and draws the console whole.
				redraw('');
				held.current = false;
			}
		}
	}, [stdin, stdout, setRawMode, redraw]);
}
