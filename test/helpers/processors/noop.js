// A processor that does nothing (throughput benchmarks).
export default async function noop() {
	return null;
}
