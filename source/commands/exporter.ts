/**
 * `exporter [--listen 127.0.0.1:9464] [--queue Q,…]`: serves what `metrics
 * --prometheus` prints at GET /metrics, for Prometheus to scrape (README,
 * "Prometheus"). Read-only: GET and HEAD of /metrics, 404 for any other path,
 * 405 for any other method. Each scrape reads Redis afresh (two round trips,
 * O(queues × job names)); scrapes that arrive while one reads share its answer.
 * When Redis cannot be read (down, stalled, a wrong password) a scrape is
 * answered 503 with one line saying why — Prometheus then records `up 0` —
 * and the exporter keeps running and reconnecting. SIGTERM or SIGINT stop it.
 */
import http from 'node:http';
import net from 'node:net';
import {listFlag, stringFlag, type CommandSpec, type Context} from '../command.js';
import type {Connection} from '../data/connection.js';
import {isUserError, UserError} from '../errors.js';
import {redact} from '../common/redact.js';
import {atMost} from '../util/bounded.js';
import {onSignals, type HandledSignal} from '../util/signals.js';

export const spec: CommandSpec = {
	name: 'exporter',
	summary: 'Serve the Prometheus metrics (GET /metrics) over HTTP until stopped; read-only.',
	usage: ['exporter [--listen 127.0.0.1:9464] [--queue Q,…]'],
	options: {
		listen: {type: 'string', value: 'HOST:PORT', description: 'where to listen (default 127.0.0.1:9464; [::1]:9464 for IPv6, 0.0.0.0:9464 for every interface)'},
		queue: {type: 'string', multiple: true, value: 'Q', description: 'only these queues (default: every known queue, looked up at each scrape)'},
	},
};

export const DEFAULT_LISTEN = '127.0.0.1:9464';
export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
const HINT = 'e.g. --listen 127.0.0.1:9464, --listen [::1]:9464, or --listen 0.0.0.0:9464 for every interface';

/** `HOST:PORT` (an IPv6 host in brackets) → host and port, or a usage error. */
export function parseListen(text: string): {host: string; port: number} {
	const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(text);
	const host = match?.[1] ?? match?.[2];
	const port = Number(match?.[3]);
	if (!match || host === undefined || port > 65_535 || (match[1] !== undefined && net.isIPv6(host) === false)) {
		throw new UserError('usage', `--listen "${text}" is not HOST:PORT`, HINT);
	}
	return {host, port};
}

type Answer = {status: number; body: string};

/** Reads one scrape at a time: a scrape asked for while one reads gets that one's answer. */
class Scraper {
	#inflight: Promise<Answer> | undefined;
	#connection: Connection | undefined;
	#down: string | undefined;
	readonly #context: Context;
	readonly #log: (text: string) => void;

	constructor(context: Context, log: (text: string) => void) {
		this.#context = context;
		this.#log = log;
	}

	async scrape(): Promise<Answer> {
		this.#inflight ??= this.#read().finally(() => {
			this.#inflight = undefined;
		});
		return this.#inflight;
	}

	/** The scrape being read, if any (a stop waits for it, briefly). */
	get inflight(): Promise<Answer> | undefined {
		return this.#inflight;
	}

	async #read(): Promise<Answer> {
		try {
			// Connected at the first scrape, not at start: Redis may be down then, and the exporter still runs.
			this.#connection ??= await this.#context.connect('console');
			const {readScrape} = await import('../data/scrape.js');
			const {renderPrometheus} = await import('../output/prometheus.js');
			const body = renderPrometheus(await readScrape(this.#connection, this.#context.config, listFlag(this.#context.flags, 'queue')));
			if (this.#down !== undefined) this.#log('Redis can be read again: scrapes are answered');
			this.#down = undefined;
			return {status: 200, body};
		} catch (error) {
			const expected = isUserError(error);
			const reason = redact(expected ? `${error.code}: ${error.message}` : `internal error: ${error instanceof Error ? error.message : String(error)}`).replace(/\s*\n\s*/g, ' ');
			if (this.#down !== reason) this.#log(`scrape failed (answered ${expected ? 503 : 500}): ${reason}`);
			this.#down = reason;
			return {status: expected ? 503 : 500, body: `${reason}\n`};
		}
	}
}

/** Writes a whole answer (no body for HEAD). */
function send(request: http.IncomingMessage, response: http.ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
	const bytes = Buffer.from(body, 'utf8');
	response.writeHead(status, {'Content-Type': status === 200 ? CONTENT_TYPE : 'text/plain; charset=utf-8', 'Content-Length': String(bytes.length), 'Cache-Control': 'no-store', ...headers});
	response.end(request.method === 'HEAD' ? undefined : bytes);
}

/** The request handler: /metrics by GET or HEAD, nothing else. */
function handler(scraper: Scraper): http.RequestListener {
	return (request, response) => {
		let path: string;
		try {
			path = new URL(request.url ?? '/', 'http://exporter').pathname;
		} catch {
			path = '';
		}
		if (path !== '/metrics') return send(request, response, 404, 'not found: the metrics are at /metrics\n');
		if (request.method !== 'GET' && request.method !== 'HEAD') return send(request, response, 405, 'method not allowed: GET or HEAD /metrics\n', {Allow: 'GET, HEAD'});
		void scraper.scrape().then(answer => send(request, response, answer.status, answer.body)).catch(() => response.destroy());
	};
}

/** Listens, or a usage error naming the address and why (in use, not ours, not allowed). */
async function listen(server: http.Server, host: string, port: number, text: string): Promise<string> {
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen({host, port, exclusive: true}, () => {
			server.off('error', reject);
			resolve();
		});
	}).catch((error: NodeJS.ErrnoException) => {
		const why: Record<string, string> = {EADDRINUSE: 'the address is in use', EACCES: 'not allowed (a port below 1024 needs privileges)', EADDRNOTAVAIL: 'no interface of this machine has that address', ENOTFOUND: 'the host name does not resolve'};
		throw new UserError('usage', `cannot listen on ${text}: ${why[error.code ?? ''] ?? error.message} (${error.code ?? 'error'})`, `choose another address or port; ${HINT}`, {cause: error});
	});
	const address = server.address() as net.AddressInfo;
	return `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}/metrics`;
}

export async function run(context: Context): Promise<number> {
	const text = stringFlag(context.flags, 'listen') ?? DEFAULT_LISTEN;
	const {host, port} = parseListen(text);
	const log = (message: string) => (context.json ? context.out(JSON.stringify({time: new Date().toISOString(), msg: message})) : context.out(`saccos-queue exporter: ${message}`));
	const scraper = new Scraper(context, log);
	const server = http.createServer(handler(scraper));
	let stop: (signal: HandledSignal) => void = () => {};
	const stopped = new Promise<HandledSignal>(resolve => {
		stop = resolve;
	});
	// A second signal ends the process at once (`once`).
	const release = onSignals(signal => stop(signal), {once: true});
	try {
		const url = await listen(server, host, port, text);
		log(`serving ${url} (read-only)`);
		const signal = await stopped;
		log(`${signal}: stopping`);
		server.close();
		server.closeAllConnections();
		await atMost<unknown>(scraper.inflight ?? Promise.resolve(), 2000);
		return 0;
	} finally {
		release();
		if (server.listening) server.close();
	}
}
