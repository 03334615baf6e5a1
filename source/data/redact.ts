/**
 * Secrets never reach output, logs, errors or --json. Every password the
 * connection layer sees is registered here, and every message that leaves the
 * process passes `redact`: this catches what URL redaction alone misses, such
 * as ioredis errors that echo AUTH arguments (redis/ioredis#1229).
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

/** Removes every registered secret and any URL password from free text. */
export function redact(text: string): string {
	let out = text.replace(/(rediss?:\/\/[^:@/\s]*:)[^@\s]*@/g, '$1***@');
	for (const secret of secrets) {
		if (out.includes(secret)) out = out.split(secret).join('***');
		const encoded = encodeURIComponent(secret);
		if (encoded !== secret && out.includes(encoded)) out = out.split(encoded).join('***');
	}
	return out;
}
