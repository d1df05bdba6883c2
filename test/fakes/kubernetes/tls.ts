import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const TIMEOUT_MS = 20_000;

/** A throwaway certificate authority made with `openssl` for one fake: it signs the server's and clients' certificates. */
export interface FakeCa {
  readonly caPem: string;
  readonly serverCertPem: string;
  readonly serverKeyPem: string;
  /** Signs a PEM CSR for `days` days as a client certificate; returns the PEM certificate. */
  signClient(csrPem: string, days: number): Promise<string>;
  /** Verifies a CSR's self-signature; returns its subject as openssl prints it (RFC 2253). */
  csrSubject(csrPem: string): Promise<string>;
  close(): Promise<void>;
}

export async function makeFakeCa(): Promise<FakeCa> {
  const dir = await mkdtemp(join(tmpdir(), 'k8s-fake-ca-'));
  const f = (n: string) => join(dir, n);
  const ssl = (args: string[]) => run('openssl', args, { timeout: TIMEOUT_MS, cwd: dir });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  await ssl([
    'req',
    '-x509',
    ...ec,
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.crt'),
    '-days',
    '2',
    '-subj',
    '/CN=fake-kube-ca',
  ]);
  await ssl(['req', ...ec, '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=kube-apiserver']);
  await writeFile(f('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  await ssl([
    'x509',
    '-req',
    '-in',
    f('server.csr'),
    '-CA',
    f('ca.crt'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    f('server.ext'),
    '-out',
    f('server.crt'),
  ]);
  await writeFile(f('client.ext'), 'extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature\n');
  let serial = 1000;
  return {
    caPem: await readFile(f('ca.crt'), 'utf8'),
    serverCertPem: await readFile(f('server.crt'), 'utf8'),
    serverKeyPem: await readFile(f('server.key'), 'utf8'),
    async signClient(csrPem, days) {
      const n = serial++;
      await writeFile(f(`c${n}.csr`), csrPem);
      await ssl([
        'x509',
        '-req',
        '-in',
        f(`c${n}.csr`),
        '-CA',
        f('ca.crt'),
        '-CAkey',
        f('ca.key'),
        '-set_serial',
        String(n),
        '-days',
        String(days),
        '-extfile',
        f('client.ext'),
        '-out',
        f(`c${n}.crt`),
      ]);
      return readFile(f(`c${n}.crt`), 'utf8');
    },
    async csrSubject(csrPem) {
      const n = serial++;
      await writeFile(f(`v${n}.csr`), csrPem);
      const { stdout } = await ssl([
        'req',
        '-in',
        f(`v${n}.csr`),
        '-verify',
        '-noout',
        '-subject',
        '-nameopt',
        'RFC2253',
      ]);
      return stdout.trim().replace(/^subject=/, '');
    },
    close: () => rm(dir, { recursive: true, force: true }),
  };
}
