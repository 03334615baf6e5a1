/**
 * The terminal while the console owns it: the alternate screen (the shell's
 * screen comes back as it was on quitting, as with htop and less); only the
 * lines that changed written (frame-diff.ts); and, where the terminal is not
 * UTF-8, every glyph through its ASCII stand-in (common/ascii.ts) on the way
 * out. `restore` undoes all of it; it also runs if the process exits some
 * other way.
 */
import {toAscii} from '../common/ascii.js';
import {createFrameDiffer} from './frame-diff.js';

const ENTER_ALTERNATE = '\u001B[?1049h\u001B[2J\u001B[H';
const LEAVE_ALTERNATE = '\u001B[?1049l';
const SHOW_CURSOR = '\u001B[?25h';

export type TerminalOptions = {ascii: boolean; alternateScreen: boolean};

export function takeTerminal(stdout: NodeJS.WriteStream, options: TerminalOptions): () => void {
	const write = stdout.write;
	// Frames are diffed only on the alternate screen, where a frame starts at the top row.
	const differ = options.alternateScreen ? createFrameDiffer() : undefined;
	const diff = (chunk: string) => (differ ? differ(chunk) : chunk);
	// A resize reflows what the screen shows: the next frame is drawn whole on a cleared screen.
	const onResize = () => differ?.reset();
	stdout.on('resize', onResize);
	stdout.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
		const text = typeof chunk === 'string' ? diff(options.ascii ? toAscii(chunk) : chunk) : chunk;
		return (write as (...args: unknown[]) => boolean).call(this, text, ...rest);
	} as typeof stdout.write;
	if (options.alternateScreen) write.call(stdout, ENTER_ALTERNATE);
	let restored = false;
	const restore = () => {
		if (restored) return;
		restored = true;
		process.off('exit', restore);
		stdout.off('resize', onResize);
		stdout.write = write;
		if (options.alternateScreen) write.call(stdout, LEAVE_ALTERNATE + SHOW_CURSOR);
	};
	process.on('exit', restore);
	return restore;
}
