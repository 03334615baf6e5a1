/**
 * Colour only where a person reads it: a terminal, NO_COLOR unset, no
 * --no-color. Piped output has no escape codes at all.
 */
let enabled = false;

/** Decides once per process, from the stream the command writes to. */
export function initColor(stream: NodeJS.WriteStream, flagNoColor: boolean, env: NodeJS.ProcessEnv = process.env): void {
	const noColor = env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '';
	enabled = !flagNoColor && !noColor && stream.isTTY === true && env['TERM'] !== 'dumb';
}

const wrap = (open: number, close: number) => (text: string): string => (enabled ? `\u001B[${open}m${text}\u001B[${close}m` : text);

export const bold = wrap(1, 22);
export const dim = wrap(2, 22);
export const red = wrap(31, 39);
export const green = wrap(32, 39);
export const yellow = wrap(33, 39);
export const cyan = wrap(36, 39);
