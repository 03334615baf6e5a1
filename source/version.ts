/**
 * The version, from package.json (the one place it is written): `--version`,
 * the help text and every worker's heartbeat record say the same thing.
 * source/ and dist/ both sit one folder below package.json.
 */
import {readFileSync} from 'node:fs';

export const VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {version: string}).version;
