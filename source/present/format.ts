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
