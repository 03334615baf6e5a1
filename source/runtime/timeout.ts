/** The error a job fails with when it runs past its timeout (it counts as an attempt). */
export class JobTimeoutError extends Error {
	constructor(seconds: number) {
		super(`job timed out after ${seconds}s`);
		this.name = 'TimeoutError';
	}
}
