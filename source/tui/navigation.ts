/**
 * Where the console is: a stack of routes whose bottom is the home view (the
 * one the console opened on). Enter pushes; q and Esc pop; Tab and the `:`
 * command line go to a view with home under it, so q always leads home and
 * quits only there (k9s: Esc goes back, never quits). Pure, for the app's reducer.
 */
import type {Route} from './ui-context.js';
import {TABS, tabOf} from './views/tabs.js';

export type Navigation = readonly [Route, ...Route[]];

export type NavigationEvent =
	| {type: 'push'; route: Route}
	/** A view records where it is (its queue, state, page); ignored once another view is on top. */
	| {type: 'replace'; route: Route}
	| {type: 'pop'}
	| {type: 'tab'; by: 1 | -1}
	| {type: 'go'; route: Route};

export const top = (stack: Navigation): Route => stack.at(-1)!;
export const atHome = (stack: Navigation): boolean => stack.length === 1;

/** `route` with home under it; home itself when it is home's view with nothing more said. */
function goTo(stack: Navigation, route: Route): Navigation {
	const home = stack[0];
	if (route.view === home.view && Object.keys(route).length === 1) return [home];
	return [home, route];
}

export function navigate(stack: Navigation, event: NavigationEvent): Navigation {
	switch (event.type) {
		case 'push':
			return [...stack, event.route];
		case 'replace':
			return top(stack).view === event.route.view ? [...stack.slice(0, -1), event.route] as unknown as Navigation : stack;
		case 'pop':
			return stack.length > 1 ? (stack.slice(0, -1) as unknown as Navigation) : stack;
		case 'tab': {
			const at = TABS.indexOf(tabOf(top(stack)));
			return goTo(stack, {view: TABS[(at + event.by + TABS.length) % TABS.length]!});
		}
		case 'go':
			return goTo(stack, event.route);
	}
}
