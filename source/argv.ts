/**
 * Options for every command may come before the command, as in git and
 * kubectl: `saccos-queue --config prod.json status` is read as
 * `saccos-queue status --config prod.json`. The leading options are moved
 * behind the command name before anything else reads argv, so the command's
 * own parser sees one list and every later step behaves the same whatever
 * the order.
 */
import type {OptionSpec} from './command.js';
import {UserError} from './errors.js';

export type Hoisted = {
	/** The command's name (or `version`, for a leading --version); undefined when only options were given. */
	name: string | undefined;
	/** The options given before the command, then everything after it (so a later option wins over an earlier one). */
	rest: string[];
	/** What came after the command's name alone. */
	after: string[];
};

/** The global option a leading token names (`--config`, `--config=X`, `-v`), or undefined. */
function globalOption(token: string, globals: Record<string, OptionSpec>): OptionSpec | undefined {
	if (token.startsWith('--')) {
		const name = token.slice(2).split('=', 1)[0]!;
		return Object.hasOwn(globals, name) ? globals[name] : undefined;
	}
	// A group of short boolean options (`-v`, `-vh`), as node:util's parseArgs reads them.
	const shorts = [...token.slice(1)].map(letter => Object.values(globals).find(option => option.short === letter));
	if (shorts.length === 0 || shorts.some(option => option === undefined || option.type !== 'boolean')) return undefined;
	return shorts[0];
}

function unknownLeading(token: string): UserError {
	// Only the option's name: what follows "=" may be a secret (a mistyped --redis=redis://:pw@…).
	const name = token.startsWith('--') ? token.split('=', 1)[0]! : token;
	return new UserError(
		'usage',
		`unknown option "${name}" before the command`,
		`only options of every command (--config, --redis, --prefix, --json, --read-only, …) may come before it; a command's own options go after it: \`saccos-queue <command> ${name}\``,
	);
}

/**
 * Splits argv into the command's name and its arguments, moving the global
 * options given before the name behind it. A string option takes the next
 * token as its value even when it looks like a command (`--config status
 * status`); an unknown leading option is a usage error.
 */
export function hoistGlobalOptions(argv: readonly string[], globals: Record<string, OptionSpec>): Hoisted {
	const leading: string[] = [];
	let index = 0;
	while (index < argv.length) {
		const token = argv[index]!;
		if (token === '--') {
			index++;
			break;
		}
		if (!token.startsWith('-') || token === '-') break;
		if (token === '--version') return {name: 'version', rest: [], after: []};
		const option = globalOption(token, globals);
		if (!option) throw unknownLeading(token);
		leading.push(token);
		index++;
		if (option.type === 'string' && !token.includes('=')) {
			const value = argv[index];
			if (value === undefined) throw new UserError('usage', `option "${token}" needs a value`, `e.g. \`saccos-queue ${token} ${option.value ?? 'VALUE'} status\``);
			leading.push(value);
			index++;
		}
	}
	const after = argv.slice(index + 1);
	return {name: argv[index], rest: [...leading, ...after], after};
}
