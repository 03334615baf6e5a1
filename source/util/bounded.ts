/**
 * Waits for `promise`, but at most `ms`: for clean-ups that must not hang when
 * Redis is gone (BullMQ's close() has no timeout of its own: taskforcesh/bullmq#2430).
 * Resolves with undefined when the time is up; a rejection counts as done.
 */
export async function atMost<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
	let timer: NodeJS.Timeout | undefined;
	const timeUp = new Promise<undefined>(resolve => {
		timer = setTimeout(() => resolve(undefined), ms);
		timer.unref();
	});
	try {
		return await Promise.race([promise.catch(() => undefined), timeUp]);
	} finally {
		clearTimeout(timer);
	}
}
