/**
 * A self-signed certificate made with openssl for tests that run a TLS server on 127.0.0.1
 * (gate the suite on `components.openssl` from ./integration.ts).
 *
 *   const c = selfSignedCert('/CN=127.0.0.1', 'IP:127.0.0.1');  // c.key, c.cert (Buffers), c.certPath
 *   c.remove();
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface SelfSignedCert {
  key: Buffer;
  cert: Buffer;
  /** The certificate's file: a self-signed certificate is its own CA. */
  certPath: string;
  remove(): void;
}

/** A 2-day RSA certificate for `subject`, with `subjectAltName` when given (e.g. `IP:127.0.0.1`). */
export function selfSignedCert(subject: string, subjectAltName?: string): SelfSignedCert {
  const dir = mkdtempSync(path.join(tmpdir(), 'bbm-test-tls-'));
  const keyPath = path.join(dir, 'key.pem');
  const certPath = path.join(dir, 'cert.pem');
  const san = subjectAltName ? ['-addext', `subjectAltName=${subjectAltName}`] : [];
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', subject, ...san], { stdio: 'ignore' });
  return { key: readFileSync(keyPath), cert: readFileSync(certPath), certPath, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
