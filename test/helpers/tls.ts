/**
 * Certificates for TLS tests, made by the real openssl: a CA, a server
 * certificate it signs (for the names asked), a client certificate it signs,
 * and a second CA that signed nothing of the server's (the "wrong CA").
 */
import {execFileSync} from 'node:child_process';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export type Certificates = {
	dir: string;
	ca: string;
	serverCert: string;
	serverKey: string;
	clientCert: string;
	clientKey: string;
	/** A CA that did not sign the server's certificate. */
	otherCa: string;
	remove(): void;
};

const openssl = (args: string[], cwd: string): void => {
	execFileSync('openssl', args, {cwd, stdio: ['ignore', 'ignore', 'pipe']});
};

function makeCa(dir: string, name: string): void {
	openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.pem`], dir);
}

function signed(dir: string, name: string, ca: string, san: string | undefined, usage: string): void {
	openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`], dir);
	writeFileSync(path.join(dir, `${name}.ext`), `${san ? `subjectAltName=${san}\n` : ''}extendedKeyUsage=${usage}\n`);
	openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.pem`], dir);
}

/** Makes the certificates; `serverNames` is the server certificate's subjectAltName (default localhost and 127.0.0.1). */
export function makeCertificates(serverNames = 'DNS:localhost,IP:127.0.0.1'): Certificates {
	const dir = mkdtempSync(path.join(os.tmpdir(), 'saccos-tls-'));
	makeCa(dir, 'ca');
	makeCa(dir, 'other-ca');
	signed(dir, 'server', 'ca', serverNames, 'serverAuth');
	signed(dir, 'client', 'ca', undefined, 'clientAuth');
	const at = (file: string) => path.join(dir, file);
	return {
		dir,
		ca: at('ca.pem'),
		serverCert: at('server.pem'),
		serverKey: at('server.key'),
		clientCert: at('client.pem'),
		clientKey: at('client.key'),
		otherCa: at('other-ca.pem'),
		remove: () => rmSync(dir, {recursive: true, force: true}),
	};
}

/** redis-server arguments for a TLS port beside the plain one the helper checks readiness on. */
export const tlsServerArgs = (certs: Certificates, tlsPort: number, requireClientCert: boolean): string[] => [
	'--tls-port', String(tlsPort),
	'--tls-cert-file', certs.serverCert,
	'--tls-key-file', certs.serverKey,
	'--tls-ca-cert-file', certs.ca,
	'--tls-auth-clients', requireClientCert ? 'yes' : 'no',
];
