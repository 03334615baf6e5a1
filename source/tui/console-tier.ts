/**
 * Runs the console's JavaScript on V8's baseline tier until the console is
 * busy (docs/ARCHITECTURE.md, "The console's CPU"). The `console` and `demo`
 * commands call tuneConsoleV8(), which applies this and keepConsoleHeapSmall()
 * before the console's modules load.
 *
 * V8 starts every function in its interpreter, compiles the ones that run
 * often with Sparkplug (baseline code, cheap to make) and, once they have run
 * long enough, with TurboFan, its optimizing compiler. A console that redraws
 * once a second makes most of its functions "hot" slowly: TurboFan kept
 * compiling them on V8's helper threads through the first minute, about 40 %
 * of the process's CPU between 15 and 35 s after start (perf), and saved no
 * CPU after that that a refresh could show: the console's work is in
 * builtins (JSON, strings, regexps) and in Redis. `--no-turbofan` keeps it on
 * Sparkplug: measured at 50 queues (bench/console-terminal.js, five runs),
 * 11.5–20.5 ms a refresh instead of 22–29 in the first window after
 * start-up, start-up CPU 1.2–1.6 s instead of 1.7–2.1, RSS 8 MiB smaller;
 * after the first minute the same CPU per refresh as with TurboFan.
 *
 * A console that is busy (a flood of events, a big page, thousands of queues)
 * is where optimized code pays: when the event loop was busy for at least
 * BUSY_SHARE of a CHECK_MS interval (500 ms of work in 5 s; a console on 500
 * queues is busy for 36 ms a second), TurboFan is turned back on for good, and
 * the functions that are hot from then on are optimized as V8 always does:
 * TurboFan's one-off cost of about a second of CPU pays for itself within
 * a minute or two at that load. The first intervals are start-up and are not
 * judged.
 *
 * An optimizer flag the operator set (command line or NODE_OPTIONS) turns
 * this off, as does a V8 outside the versions known to read `--turbofan` when
 * it decides to optimize (V8 10 and older call it `--opt`; an unknown flag
 * would print an error on the console's screen).
 */
import {performance} from 'node:perf_hooks';
import v8 from 'node:v8';
import {keepConsoleHeapSmall, operatorV8Flags} from './console-heap.js';

/** V8 majors that read `--turbofan` when a function gets hot (Node 20–23; checked by test/tui/console-tier.test.ts). */
const KNOWN_V8 = /^1[1-3]\./;
/** Flags that say the operator chose how V8 compiles. */
const CHOSEN = /--(?:no-)?(?:opt|turbofan|maglev|sparkplug|jitless|always-osr|always-sparkplug)(?![\w-])/;
/** How often the event loop's use is judged, and what share of an interval counts as busy. */
export const CHECK_MS = 5000;
export const BUSY_SHARE = 0.1;
/** Intervals not judged at start: loading, the first frames, the first refreshes. */
export const STARTUP_CHECKS = 2;

export type ConsoleTier = {
	/** True once TurboFan is on again (the console was busy). */
	readonly optimizing: boolean;
	/** Stops watching (TurboFan stays as it is). */
	stop(): void;
};

export type TierOptions = {
	versions?: NodeJS.ProcessVersions;
	/** The operator's flags: execArgv and NODE_OPTIONS. */
	chosen?: string;
	checkMs?: number;
	busyShare?: number;
	startupChecks?: number;
	/** Told when TurboFan is turned back on (the share of the interval the loop was busy). */
	onBusy?: (share: number) => void;
};

/** Keeps the console on baseline code while it is light; undefined when it leaves V8 as it is. */
export function keepConsoleJitLight(options: TierOptions = {}): ConsoleTier | undefined {
	const versions = options.versions ?? process.versions;
	const chosen = options.chosen ?? operatorV8Flags();
	if (!KNOWN_V8.test(versions.v8) || CHOSEN.test(chosen)) return undefined;
	const busyShare = options.busyShare ?? BUSY_SHARE;
	let skip = options.startupChecks ?? STARTUP_CHECKS;
	let optimizing = false;
	v8.setFlagsFromString('--no-turbofan');
	let last = performance.eventLoopUtilization();
	const timer = setInterval(() => {
		const now = performance.eventLoopUtilization();
		const share = performance.eventLoopUtilization(now, last).utilization;
		last = now;
		if (skip > 0) {
			skip--;
			return;
		}
		if (share < busyShare) return;
		v8.setFlagsFromString('--turbofan');
		optimizing = true;
		clearInterval(timer);
		options.onBusy?.(share);
	}, options.checkMs ?? CHECK_MS);
	timer.unref();
	return {
		get optimizing() {
			return optimizing;
		},
		stop: () => clearInterval(timer),
	};
}

/** The console's V8 settings, heap and compiler tier: called once, before the console's modules load. */
export function tuneConsoleV8(): void {
	keepConsoleHeapSmall();
	keepConsoleJitLight();
}
