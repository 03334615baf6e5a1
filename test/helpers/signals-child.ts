/**
 * A process for test/util/signals.test.ts: takes signals through onSignals()
 * as argv[2] describes (a JSON list of {name, signals?, once?}), prints
 * "ready", then "<name> <signal> <count>" for each signal a handler gets.
 * On stdin, "dispose <name>" disposes that one and prints "disposed <name>".
 * Its open stdin keeps it alive: it ends by a signal's default effect, or
 * when stdin closes.
 */
import {createInterface} from 'node:readline';
import {onSignals, type HandledSignal} from '../../source/util/signals.js';

type Wanted = {name: string; signals?: HandledSignal[]; once?: boolean};

const disposers = new Map<string, () => void>();
for (const {name, ...options} of JSON.parse(process.argv[2]!) as Wanted[]) {
	disposers.set(name, onSignals((signal, count) => console.log(`${name} ${signal} ${count}`), options));
}
createInterface({input: process.stdin}).on('line', line => {
	const [command, name] = line.split(' ');
	if (command === 'dispose') {
		disposers.get(name!)?.();
		console.log(`disposed ${name}`);
	}
});
console.log('ready');
