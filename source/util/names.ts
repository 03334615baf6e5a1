/**
 * Names inside a sentence (an error, a note, a confirmation): all of them when
 * they are few, else the first few and how many more, so that a keyspace with
 * hundreds of queues still gives one readable line. Where the names are what
 * a command prints, they go one per line or in a table instead.
 */
export function someNames(names: readonly string[], max = 8): string {
	// "and 1 more" would be no shorter than the name.
	if (names.length <= max + 1) return names.join(', ');
	return `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}
