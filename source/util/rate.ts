/** Failure-rate limits as operators write them: `5%/15m` (5 % of the jobs finished in the last 15 minutes). */
import {parseDuration} from './duration.js';

export type RateLimit = {rate: number; windowMs: number};

/** Parses `<percent>%/<duration>` (e.g. `5%/15m`, `0.5%/1h`); undefined when the text is not one, or the window is outside 1 min–7 days. */
export function parseRate(text: string): RateLimit | undefined {
	const match = /^(\d+(?:\.\d+)?)%\/(\S+)$/.exec(text.trim());
	if (!match) return undefined;
	const percent = Number(match[1]);
	const windowMs = parseDuration(match[2]!);
	if (!(percent >= 0 && percent <= 100) || windowMs === undefined || windowMs < 60_000 || windowMs > 7 * 86_400_000) return undefined;
	return {rate: percent / 100, windowMs};
}

/** The text form of a rate limit: `5%/15m`. */
export const formatRate = (limit: RateLimit): string => `${Math.round(limit.rate * 10_000) / 100}%/${limit.windowMs % 3_600_000 === 0 ? `${limit.windowMs / 3_600_000}h` : `${Math.round(limit.windowMs / 60_000)}m`}`;
