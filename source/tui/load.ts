/**
 * The console's entry point for the commands: loads Ink and the app, then
 * opens it (see open.tsx).
 *
 * Ink decides once, when it is first imported, whether it runs under CI
 * (is-in-ci: CI or CONTINUOUS_INTEGRATION set and not "0"/"false"), and there
 * it draws nothing until the app exits: an operator whose shell exports CI=true
 * (a runner's shell, a CI-provisioned host) would stare at a blank screen. The
 * console only opens when stdin and stdout are terminals, so those variables
 * are hidden while Ink loads and put back at once: processes the console
 * starts still see them.
 */
import {isUtf8Terminal} from '../common/ascii.js';
import type {ConsoleApi} from '../store/console-api.js';
import type {Route} from './ui-context.js';

const CI_VARIABLES = ['CI', 'CONTINUOUS_INTEGRATION'] as const;

export async function openConsole(api: ConsoleApi, initial: Route, signal?: AbortSignal, options: {noColor?: boolean} = {}): Promise<void> {
	// NO_COLOR in any form, or --no-color: Ink's colour library decides its level once, as it
	// loads; FORCE_COLOR=0 while it loads makes that level "none" (no colour, no bold, no inverse).
	const noColor = options.noColor === true || process.env['NO_COLOR'] !== undefined;
	const {openConsole: open} = await loadInk(noColor);
	return open(api, initial, signal, {ascii: !isUtf8Terminal(), alternateScreen: true});
}

async function loadInk(noColor: boolean): Promise<typeof import('./open.js')> {
	const saved = new Map<string, string | undefined>();
	const hide = (name: string, value: string | undefined) => {
		saved.set(name, process.env[name]);
		if (value === undefined) delete process.env[name];
		else process.env[name] = value;
	};
	for (const name of CI_VARIABLES) hide(name, undefined);
	if (noColor) hide('FORCE_COLOR', '0');
	// React picks its build as it loads: the production one, unless told otherwise (its development
	// build's checks cost the console about a fifth of its CPU per refresh: bench/console-terminal.js).
	if (process.env['NODE_ENV'] === undefined) hide('NODE_ENV', 'production');
	try {
		return await import('./open.js');
	} finally {
		for (const [name, value] of saved) {
			if (value === undefined) delete process.env[name];
			else process.env[name] = value;
		}
	}
}
