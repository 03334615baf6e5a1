/** Pure formatting of snapshot values for tables and views. */
import {formatDuration} from '../util/duration.js';

export function formatBytes(bytes: number): string {
	if (!Number.isFinite(bytes) || bytes <= 0) return '0 B';
	const units = ['B', 'KB', 'MB', 'GB', 'TB'];
	let value = bytes;
	let unit = 0;
	while (value >= 1024 && unit < units.length - 1) {
		value /= 1024;
		unit++;
	}
	return `${value >= 100 || unit === 0 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

/** An epoch-ms time as local `YYYY-MM-DD HH:MM:SS`, '-' when absent. */
export function formatTime(ms: number | null | undefined, timeZone?: string): string {
	if (ms === null || ms === undefined || !Number.isFinite(ms) || ms <= 0) return '-';
	const parts = new Intl.DateTimeFormat('en-CA', {
		timeZone,
		year: 'numeric', month: '2-digit', day: '2-digit',
		hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
	}).formatToParts(new Date(ms));
	const get = (type: string) => parts.find(part => part.type === type)?.value ?? '';
	return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}:${get('second')}`;
}

/**
 * "2026-11-28 10:00[:00]" (no zone, as formatTime prints it) read in `timeZone`: epoch ms,
 * or undefined when the text is not such a time. A time with a zone (…Z, +03:00) is not this.
 */
export function parseZonedTime(text: string, timeZone: string): number | undefined {
	const match = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text.trim());
	if (!match) return undefined;
	const [year, month, day, hour, minute, second] = match.slice(1).map(part => Number(part ?? 0)) as [number, number, number, number, number, number];
	const wall = Date.UTC(year, month - 1, day, hour, minute, second);
	if (!Number.isFinite(wall)) return undefined;
	// The zone's offset at that moment, found from what the zone's clock shows then (twice: DST edges).
	const offsetAt = (ms: number) => {
		const shown = formatTime(ms, timeZone).match(/\d+/g)!.map(Number) as [number, number, number, number, number, number];
		return Date.UTC(shown[0], shown[1] - 1, shown[2], shown[3], shown[4], shown[5]) - ms;
	};
	let guess = wall - offsetAt(wall);
	guess = wall - offsetAt(guess);
	return guess;
}

/** "3m 05s ago" / "in 42s" relative to now. */
export function formatRelative(ms: number | null | undefined, now = Date.now()): string {
	if (ms === null || ms === undefined || !Number.isFinite(ms) || ms <= 0) return '-';
	const delta = ms - now;
	return delta >= 0 ? `in ${formatDuration(delta)}` : `${formatDuration(-delta)} ago`;
}

/** A compact one-line preview of job data. */
export function previewData(data: unknown, dataError?: string): string {
	if (dataError) return `<${dataError}>`;
	if (data === undefined) return '-';
	try {
		return JSON.stringify(data) ?? '-';
	} catch {
		return '<unserializable>';
	}
}

/**
 * The one progress line of a bulk action, for the CLI's stderr and the
 * console's flash line alike: "retrying emails: 12,000 of 50,000 (24%)",
 * with the rate when the start time is known ("… 9,800 jobs/s").
 */
export function formatProgress(label: string, {done, total}: {done: number; total: number}, startedMs?: number, now = performance.now()): string {
	const percent = total > 0 ? Math.floor((done / total) * 100) : 100;
	const seconds = startedMs === undefined ? 0 : (now - startedMs) / 1000;
	const rate = seconds > 0 ? `, ${Math.round(done / seconds).toLocaleString('en-US')} jobs/s` : '';
	return `${label}: ${done.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} (${percent}%${rate})`;
}

/** The size of a text in UTF-8 bytes (what Redis counts). */
export const utf8Bytes = (text: string): number => Buffer.byteLength(text);

/**
 * A job's data as one table cell: its JSON, or — for data larger than the
 * read took — its full size, then the start of its text.
 */
export function dataCell(job: {data: unknown; dataError?: string; dataTruncated?: true; dataBytes?: number; dataPreview?: string}): string {
	if (job.dataTruncated) return `${formatBytes(job.dataBytes ?? 0)} ${job.dataPreview === undefined ? '(too large to preview)' : `${job.dataPreview}…`}`;
	return previewData(job.data, job.dataError);
}
