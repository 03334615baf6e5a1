/** Renders the console on the terminal and resolves when the user quits (or `signal` aborts). */
import {render} from 'ink';
import type {ConsoleApi} from '../store/console-api.js';
import {App} from './app.js';
import {installRowCachedOutput} from './ink-output.js';
import {takeTerminal, type TerminalOptions} from './terminal.js';
import type {Route} from './ui-context.js';

export async function openConsole(api: ConsoleApi, initial: Route, signal: AbortSignal | undefined, terminal: TerminalOptions): Promise<void> {
	// Ink composes a frame only where a row changed (ink-output.ts): a refresh that moved the clock
	// costs one row's work, not the screen's.
	await installRowCachedOutput();
	const restore = takeTerminal(process.stdout, terminal);
	// Only the lines that changed are written (terminal.ts): over SSH, a refresh where only the
	// clock moved costs one line, not the screen.
	const instance = render(<App api={api} initial={initial} />, {exitOnCtrlC: false});
	const close = () => instance.unmount();
	signal?.addEventListener('abort', close, {once: true});
	try {
		await instance.waitUntilExit();
	} finally {
		signal?.removeEventListener('abort', close);
		restore();
	}
}
