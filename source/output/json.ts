/**
 * --json output: exactly one document per command (one object per line for
 * streams), serialized by the sanitizer so no raw control byte reaches the
 * terminal and the document still parses back to the same value.
 */
import {toSafeJson} from '../common/sanitize.js';
import {redact} from '../common/redact.js';

/** Prints one JSON document (pretty on a terminal, compact when piped). */
export function printJson(value: unknown, stream: NodeJS.WriteStream = process.stdout): void {
	stream.write(`${redact(toSafeJson(value, stream.isTTY ? 2 : undefined))}\n`);
}

/** Prints one NDJSON line (streams: events, logs). */
export function printJsonLine(value: unknown, stream: NodeJS.WriteStream = process.stdout): void {
	stream.write(`${redact(toSafeJson(value))}\n`);
}
