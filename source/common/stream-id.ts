/** Redis stream entry ids (`<ms>-<seq>`), compared as the stream orders them: negative when `a` comes first. */
export function compareStreamIds(a: string, b: string): number {
	const [aMs = 0, aSeq = 0] = a.split('-').map(Number);
	const [bMs = 0, bSeq = 0] = b.split('-').map(Number);
	return aMs - bMs || aSeq - bSeq;
}
