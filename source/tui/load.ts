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
import type {ConsoleApi} from '../store/console-api.js';
import type {Route} from './ui-context.js';

const CI_VARIABLES = ['CI', 'CONTINUOUS_INTEGRATION'] as const;

export async function openConsole(api: ConsoleApi, initial: Route, signal?: AbortSignal): Promise<void> {
	const {openConsole: open} = await loadInk();
	return open(api, initial, signal);
}

async function loadInk(): Promise<typeof import('./open.js')> {
	const saved = new Map<string, string>();
	for (const name of CI_VARIABLES) {
		const value = process.env[name];
		if (value !== undefined) saved.set(name, value);
		delete process.env[name];
	}
	try {
		return await import('./open.js');
	} finally {
		for (const [name, value] of saved) process.env[name] = value;
	}
}
