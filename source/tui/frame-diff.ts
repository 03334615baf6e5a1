/**
 * Only the lines that changed reach the terminal (docs/ARCHITECTURE.md, "A refresh, end to end").
 *
 * Ink redraws a frame by erasing the lines it last wrote and writing them all again; over SSH a
 * refresh where only the clock moved would cost the whole screen. On the alternate screen the
 * frame always starts at the top row, so each frame Ink writes is compared with the last one, line
 * by line, and only the lines that differ are written, each at its row. (Ink's own incremental
 * mode, in the version we use, moves the cursor one row short when the frame ends with a
 * newline, and leaves the screen shifted.) Anything that is not a frame passes through, and a
 * clear of the screen (the pager gave it back) makes the next frame whole.
 */

/** eraseLines(n) as Ink writes it before a frame: erase a line, up one, … then column 1. */
// eslint-disable-next-line no-control-regex -- terminal escape sequences are what this reads
const ERASE_PREFIX = /^(?:\u001B\[2K|\u001B\[1?A|\u001B\[G)+/;
// eslint-disable-next-line no-control-regex -- as above
const CLEARS_SCREEN = /\u001B\[2J/;

export type FrameDiffer = ((chunk: string) => string) & {
	/** The screen no longer shows the last frame (the terminal was resized and reflowed it): the next frame clears it and is written whole. */
	reset(): void;
};

export function createFrameDiffer(): FrameDiffer {
	let previous: string[] | undefined;
	let clearFirst = false;
	const differ = (chunk: string): string => {
		if (CLEARS_SCREEN.test(chunk)) {
			previous = undefined;
			return chunk;
		}
		const erase = ERASE_PREFIX.exec(chunk)?.[0] ?? '';
		const body = chunk.slice(erase.length);
		// A frame: text ending with its newline, after the erase (or none, the first one).
		// eslint-disable-next-line no-control-regex -- as above
		if (!body.endsWith('\n') || (erase === '' && previous !== undefined) || /^\u001B\[\?/.test(body)) return chunk;
		const lines = body.slice(0, -1).split('\n');
		let out = clearFirst ? '\u001B[2J' : '';
		clearFirst = false;
		const rows = Math.max(lines.length, previous?.length ?? 0);
		for (let row = 0; row < rows; row++) {
			const line = lines[row];
			if (previous !== undefined && previous[row] === line) continue;
			out += `\u001B[${row + 1};1H${line ?? ''}\u001B[K`;
		}
		previous = lines;
		// The cursor where Ink believes it is: under the frame.
		return `${out}\u001B[${lines.length + 1};1H`;
	};
	return Object.assign(differ, {
		reset() {
			previous = undefined;
			clearFirst = true;
		},
	});
}
