/**
 * One line of a process's log, and what a JSON line says of itself: shared by
 * the log readers (files, journald) and the presentation, which needs no file
 * access for it.
 */
export type LogLine = {
	service: string;
	/**
	 * Epoch ms, from the line's JSON `time` (local files) or the journal; a
	 * local line without one (stderr text) has the time of the timed line
	 * before it in its log, and null only when there is none (logs.ts).
	 */
	time: number | null;
	pid: number | null;
	text: string;
};

/** The time and pid a JSON log line carries, if any. */
export function lineFacts(text: string): {time: number | null; pid: number | null; fields: Record<string, unknown> | null} {
	if (!text.startsWith('{')) return {time: null, pid: null, fields: null};
	try {
		const fields = JSON.parse(text) as Record<string, unknown>;
		const time = typeof fields['time'] === 'string' ? Date.parse(fields['time']) : typeof fields['time'] === 'number' ? fields['time'] : NaN;
		return {time: Number.isFinite(time) ? time : null, pid: typeof fields['pid'] === 'number' ? fields['pid'] : null, fields};
	} catch {
		return {time: null, pid: null, fields: null};
	}
}
