/**
 * The real Prometheus tools for the exporter's tests: `promtool` (check
 * metrics, check rules, check config, test rules) and a private `prometheus`
 * server on a free port with its own TSDB folder, queried through its HTTP
 * API. Debian's `prometheus` package has both; the tests skip, saying so,
 * only when a binary is missing (.ci/run installs the package).
 */
import {spawn, spawnSync} from 'node:child_process';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {waitFor} from './keyspace.js';
import {freePort} from './redis-server.js';

const found = (binary: string): boolean => {
	const probe = spawnSync(binary, ['--version'], {encoding: 'utf8'});
	return !probe.error && probe.status === 0;
};

/** A skip reason when promtool is missing, else undefined. */
export const NO_PROMTOOL = found('promtool') ? undefined : 'promtool is not installed (Debian/Ubuntu: apt-get install prometheus); .ci/run installs it';
/** A skip reason when the prometheus server is missing, else undefined. */
export const NO_PROMETHEUS = found('prometheus') ? undefined : 'prometheus is not installed (Debian/Ubuntu: apt-get install prometheus); .ci/run installs it';

export type ToolResult = {code: number | null; output: string};

/** Runs promtool with `args`, `input` on its stdin. */
export function promtool(args: readonly string[], input?: string): ToolResult {
	const result = spawnSync('promtool', args, {encoding: 'utf8', input, timeout: 30_000});
	return {code: result.status, output: `${result.stdout}${result.stderr}`};
}

export type PrometheusServer = {
	url: string;
	/** GET /api/v1/query?query=… → the result vector (value as a number). */
	query(expression: string): Promise<Array<{metric: Record<string, string>; value: number}>>;
	/** GET /api/v1/<path> → its `data`. */
	api(pathAndQuery: string): Promise<unknown>;
	log(): string;
	stop(): Promise<void>;
};

/** Starts `prometheus` with `config` (YAML text) on a free port of 127.0.0.1; resolves once it is ready. */
export async function startPrometheus(config: string): Promise<PrometheusServer> {
	const dir = mkdtempSync(path.join(process.env['SACCOS_TEST_TMPDIR'] || os.tmpdir(), 'saccos-prometheus-'));
	const configFile = path.join(dir, 'prometheus.yml');
	writeFileSync(configFile, config);
	const port = await freePort();
	const url = `http://127.0.0.1:${port}`;
	const child = spawn('prometheus', [`--config.file=${configFile}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], {stdio: ['ignore', 'pipe', 'pipe']});
	let output = '';
	const collect = (chunk: Buffer) => {
		output = (output + chunk.toString('utf8')).slice(-20_000);
	};
	child.stdout.on('data', collect);
	child.stderr.on('data', collect);
	let exited = false;
	const exit = new Promise<void>(resolve => child.once('close', () => {
		exited = true;
		resolve();
	}));
	const stop = async () => {
		if (!exited) child.kill('SIGTERM');
		const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
		await exit;
		clearTimeout(timer);
		rmSync(dir, {recursive: true, force: true});
	};
	const api = async (pathAndQuery: string) => {
		const response = await fetch(`${url}/api/v1/${pathAndQuery}`);
		const body = (await response.json()) as {status: string; data: unknown; error?: string};
		if (body.status !== 'success') throw new Error(`prometheus ${pathAndQuery}: ${body.error ?? response.status}`);
		return body.data;
	};
	try {
		await waitFor(async () => {
			if (exited) throw new Error(`prometheus exited at start:\n${output}`);
			return (await fetch(`${url}/-/ready`).catch(() => undefined))?.ok === true;
		}, () => `prometheus to be ready on ${url}:\n${output}`, 30_000);
	} catch (error) {
		await stop();
		throw error;
	}
	return {
		url,
		api,
		async query(expression) {
			const data = (await api(`query?query=${encodeURIComponent(expression)}`)) as {result: Array<{metric: Record<string, string>; value: [number, string]}>};
			return data.result.map(entry => ({metric: entry.metric, value: Number(entry.value[1])}));
		},
		log: () => output,
		stop,
	};
}

/** One sample line of the text format. */
export type ExpositionSample = {name: string; labels: Record<string, string>; value: number};

/** Parses the text format's samples (HELP/TYPE lines aside); throws on a line that is neither. */
export function parseExposition(text: string): {samples: ExpositionSample[]; types: Map<string, string>} {
	const samples: ExpositionSample[] = [];
	const types = new Map<string, string>();
	for (const line of text.split('\n')) {
		if (line === '' || line.startsWith('# HELP ')) continue;
		const type = /^# TYPE (\S+) (\S+)$/.exec(line);
		if (type) {
			types.set(type[1]!, type[2]!);
			continue;
		}
		const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
		if (!match) throw new Error(`not an exposition line: ${JSON.stringify(line)}`);
		const labels: Record<string, string> = {};
		for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
			labels[pair[1]!] = pair[2]!.replace(/\\(["\\n])/g, (_, character: string) => (character === 'n' ? '\n' : character));
		}
		samples.push({name: match[1]!, labels, value: match[3] === '+Inf' ? Number.POSITIVE_INFINITY : Number(match[3])});
	}
	return {samples, types};
}

/** The one sample named `name` whose labels include `labels`; undefined when none. */
export function sampleOf(samples: readonly ExpositionSample[], name: string, labels: Record<string, string> = {}): number | undefined {
	return samples.find(sample => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value))?.value;
}
