import assert from 'node:assert/strict';
import {describe, it} from 'node:test';
import {redact, redactUrl, registerSecret} from '../../source/common/redact.js';
import {toUserError} from '../../source/data/connection.js';
import {UserError} from '../../source/errors.js';
import {ReplyError} from 'ioredis';

describe('redaction', () => {
	it('hides the password of a URL and keeps the user', () => {
		assert.equal(redactUrl('redis://app:p%40ss@db:6379/2'), 'redis://app:***@db:6379/2');
		assert.equal(redactUrl('rediss://:hunter2@cache.example:6380'), 'rediss://:***@cache.example:6380');
		assert.equal(redactUrl('redis://127.0.0.1:6379'), 'redis://127.0.0.1:6379');
	});

	it('removes registered secrets from any text, raw or URL-encoded', () => {
		registerSecret('s3cr3t/pw');
		assert.equal(redact('ReplyError: ERR AUTH s3cr3t/pw failed'), 'ReplyError: ERR AUTH *** failed');
		assert.equal(redact('url redis://u:s3cr3t%2Fpw@h'), 'url redis://u:***@h');
	});

	it('an ioredis AUTH error becomes exit 4 without the password', () => {
		registerSecret('wrongpass-123');
		const error = toUserError(new ReplyError('WRONGPASS invalid username-password pair (AUTH wrongpass-123)'), 'redis://:***@h:1');
		assert.ok(error instanceof UserError);
		assert.equal(error.exitCode, 4);
		assert.doesNotMatch(error.message, /wrongpass-123/);
	});

	it('a password that is part of Redis\'s words (WRONG in WRONGPASS) leaves them readable and is still removed where it stands alone', () => {
		registerSecret('WRONG');
		assert.equal(redact('WRONGPASS invalid username-password pair or user is disabled.'), 'WRONGPASS invalid username-password pair or user is disabled.');
		assert.equal(redact('ERR AUTH WRONG called without any password configured'), 'ERR AUTH *** called without any password configured');
		assert.equal(redact('redis://:WRONG@h:1 failed'), 'redis://:***@h:1 failed');
		const error = toUserError(new ReplyError('WRONGPASS invalid username-password pair or user is disabled.'), 'redis://:***@h:1') as UserError;
		assert.equal(error.code, 'redis-auth');
		assert.match(error.message, /WRONGPASS invalid username-password pair/);
	});

	it('tells Redis\'s error prefixes apart: NOPERM is not a wrong password, OOM and READONLY are not bugs', () => {
		const noperm = toUserError(new ReplyError("NOPERM User ops has no permissions to run the 'lpush' command"), 'x') as UserError;
		assert.equal(noperm.code, 'redis-noperm');
		assert.equal(noperm.exitCode, 4);
		assert.match(noperm.message, /NOPERM User ops has no permissions/);
		const oom = toUserError(new ReplyError("OOM command not allowed when used memory > 'maxmemory'."), 'x') as UserError;
		assert.equal(oom.code, 'redis-oom');
		assert.equal(oom.exitCode, 5);
		assert.match(oom.message, /OOM command not allowed/);
		const readonly = toUserError(new ReplyError("READONLY You can't write against a read only replica."), 'x') as UserError;
		assert.equal(readonly.code, 'redis-readonly');
		const timeout = toUserError(new Error('Command timed out'), 'x') as UserError;
		assert.equal(timeout.code, 'redis-timeout');
		assert.equal(timeout.exitCode, 3);
		// The text alone decides nothing: a bug whose message mentions OOM is still a bug.
		const bug = new TypeError('cannot read OOM of undefined');
		assert.equal(toUserError(bug, 'x'), bug);
	});

	it('classifies unreachable and incompatible servers', () => {
		const refused = toUserError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {code: 'ECONNREFUSED'}), 'x') as UserError;
		assert.equal(refused.exitCode, 3);
		const crossslot = toUserError(new ReplyError("CROSSSLOT Keys in request don't hash to the same slot"), 'x') as UserError;
		assert.equal(crossslot.exitCode, 5);
		const bug = new TypeError('undefined is not a function');
		assert.equal(toUserError(bug, 'x'), bug, 'anything else stays a bug');
	});
});
