/**
 * Structural equality for the plain data a view draws (strings, numbers, arrays, plain objects,
 * Sets and Maps of those): what lets a refresh that brought the same data leave the screen's
 * React tree alone (docs/ARCHITECTURE.md, "A refresh, end to end"). Functions and class instances
 * other than Set and Map are equal only to themselves.
 */
export function sameData(a: unknown, b: unknown): boolean {
	if (Object.is(a, b)) return true;
	if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
	if (Array.isArray(a)) {
		if (!Array.isArray(b) || a.length !== b.length) return false;
		for (let index = 0; index < a.length; index++) if (!sameData(a[index], b[index])) return false;
		return true;
	}
	if (a instanceof Set) {
		if (!(b instanceof Set) || a.size !== b.size) return false;
		for (const item of a) if (!b.has(item)) return false;
		return true;
	}
	if (a instanceof Map) {
		if (!(b instanceof Map) || a.size !== b.size) return false;
		for (const [key, value] of a) if (!b.has(key) || !sameData(value, b.get(key))) return false;
		return true;
	}
	if (Object.getPrototypeOf(a) !== Object.prototype || Object.getPrototypeOf(b) !== Object.prototype) return false;
	const keys = Object.keys(a);
	if (keys.length !== Object.keys(b).length) return false;
	for (const key of keys) {
		if (!Object.hasOwn(b, key) || !sameData((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false;
	}
	return true;
}
