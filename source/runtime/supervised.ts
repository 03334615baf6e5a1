/**
 * A worker or scheduler started by the local supervisor (SACCOS_QUEUE_SUPERVISED
 * holds its pid) stops, as on SIGTERM, once the supervisor is gone: killed with
 * SIGKILL, it could not stop us, and we would run unseen by `services` while
 * the next `services start all` starts a second set beside us.
 */
export function whenSupervisorGone(stop: () => void, everyMs = 1000): () => void {
	const supervisor = Number(process.env['SACCOS_QUEUE_SUPERVISED']);
	if (!Number.isInteger(supervisor) || supervisor <= 1) return () => {};
	const timer = setInterval(() => {
		// Orphans are adopted by init (or a subreaper): the parent changes.
		if (process.ppid === supervisor) return;
		clearInterval(timer);
		stop();
	}, everyMs);
	timer.unref();
	return () => clearInterval(timer);
}
