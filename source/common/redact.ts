/**
 * Secrets never reach output, logs, errors or --json. Every password the
 * connection layer sees is registered here, and every message that leaves the
 * process passes `redact`: this catches what URL redaction alone misses, such
 * as ioredis errors that echo AUTH arguments (redis/ioredis#1229).
 *
 * A secret is removed where it stands as a token of its own, not inside a
 * longer word: a password "WRONG" must not turn Redis's "WRONGPASS …" into
 * "***PASS …", which hides what Redis said while hiding nothing secret.
 */
const secrets = new Set<string>();

/** Remembers a secret so that `redact` removes it from any text. */
export function registerSecret(secret: string | undefined): void {
	if (secret && secret.length > 0) secrets.add(secret);
}

/** A URL with its password replaced by `***` (the user name stays: it helps). */
export function redactUrl(url: string): string {
	try {
		const parsed = new URL(url);
		if (parsed.password) {
			registerSecret(decodeURIComponent(parsed.password));
			parsed.password = '***';
		}
		return parsed.toString().replace(/\/$/, '');
	} catch {
		// Not a URL we can parse: hide anything between "//" and "@".
		return url.replace(/\/\/[^@/]*@/, '//***@');
	}
}

const wordChar = /[\p{L}\p{N}_]/u;

/**
 * `text` with every occurrence of `secret` replaced by *** — except where the
 * secret begins or ends with a letter or digit that continues into a letter or
 * digit of the text around it (then that occurrence is part of another word).
 */
function removeToken(text: string, secret: string): string {
	const startsWord = wordChar.test(secret[0]!);
	const endsWord = wordChar.test(secret.at(-1)!);
	let out = '';
	let from = 0;
	for (let at = text.indexOf(secret); at !== -1; at = text.indexOf(secret, at + 1)) {
		if (at < from) continue;
		const before = at > 0 ? text[at - 1]! : '';
		const after = text[at + secret.length] ?? '';
		if ((startsWord && before && wordChar.test(before)) || (endsWord && after && wordChar.test(after))) continue;
		out += `${text.slice(from, at)}***`;
		from = at + secret.length;
	}
	return out + text.slice(from);
}

/** Removes every registered secret and any URL password from free text. */
export function redact(text: string): string {
	let out = text.replace(/(rediss?:\/\/[^:@/\s]*:)[^@\s]*@/g, '$1***@');
	for (const secret of secrets) {
		if (out.includes(secret)) out = removeToken(out, secret);
		const encoded = encodeURIComponent(secret);
		if (encoded !== secret && out.includes(encoded)) out = removeToken(out, encoded);
	}
	return out;
}
