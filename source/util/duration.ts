/** Durations as operators write them: `90s`, `15m`, `2h`, `30d`, `1w`, or plain milliseconds `500ms`. */
const units: Record<string, number> = {
	ms: 1,
	s: 1000,
	m: 60_000,
	h: 3_600_000,
	d: 86_400_000,
	w: 604_800_000,
};

const pattern = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/;

/** Parses a duration into milliseconds; undefined when the text is not one. */
export function parseDuration(text: string): number | undefined {
	const match = pattern.exec(text.trim().toLowerCase());
	if (!match) return undefined;
	const value = Number(match[1]) * units[match[2]!]!;
	return Number.isFinite(value) ? Math.round(value) : undefined;
}

/** A short human form of a duration: 950ms, 42s, 7m 05s, 3h 12m, 12d 4h. */
export function formatDuration(ms: number): string {
	if (!Number.isFinite(ms)) return '-';
	const sign = ms < 0 ? '-' : '';
	let rest = Math.abs(ms);
	if (rest < 1000) return `${sign}${Math.round(rest)}ms`;
	rest = Math.floor(rest / 1000);
	if (rest < 60) return `${sign}${rest}s`;
	const s = rest % 60;
	rest = Math.floor(rest / 60);
	if (rest < 60) return `${sign}${rest}m ${String(s).padStart(2, '0')}s`;
	const m = rest % 60;
	rest = Math.floor(rest / 60);
	if (rest < 24) return `${sign}${rest}h ${String(m).padStart(2, '0')}m`;
	const h = rest % 24;
	return `${sign}${Math.floor(rest / 24)}d ${h}h`;
}
