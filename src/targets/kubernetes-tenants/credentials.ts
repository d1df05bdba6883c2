import { randomBytes } from 'node:crypto';
import { chown, mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { parseDuration } from '../../core/duration.ts';
import { GatehouseError } from '../../core/errors.ts';
import type { KubeClient } from '../../adapters/kubernetes/client.ts';
import type { KubernetesTenantsConfig } from './config.ts';
import { makeCsr } from './csr.ts';
import type { KubeconfigChange } from './types.ts';

const CSR_PATH = '/apis/certificates.k8s.io/v1/certificatesigningrequests';
/** How long to wait for the signer to issue an approved request (it runs asynchronously in the controller manager). */
const ISSUE_POLLS = 40;
const ISSUE_POLL_MS = 250;

/**
 * Issues a client certificate for the account and writes its kubeconfig:
 * 1. a fresh ECDSA P-256 key and CSR (`CN=<user>`), made here — the key never leaves this host;
 * 2. a CertificateSigningRequest for the signer `kubernetes.io/kube-apiserver-client` with `expirationSeconds`;
 * 3. approved by gatehouse (`PUT …/approval`), then read until the signer has issued the certificate (bounded);
 * 4. a kubeconfig (server, CA, certificate, key) written atomically to the path with mode 0600, owned by the
 *    account's uid/gid, its directory created 0700 when missing.
 * Messages never include the key or certificate.
 */
export async function issueKubeconfig(
  config: KubernetesTenantsConfig,
  client: KubeClient,
  server: string,
  c: KubeconfigChange,
  signal: AbortSignal,
): Promise<string> {
  const creds = config.credentials!;
  const { csrPem, keyPem } = makeCsr(c.user);
  const name = `gatehouse-${c.uid}-${randomBytes(4).toString('hex')}`.slice(0, 253);
  const csr = {
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name },
    spec: {
      request: Buffer.from(csrPem).toString('base64'),
      signerName: 'kubernetes.io/kube-apiserver-client',
      expirationSeconds: Math.floor(parseDuration(creds.expiration) / 1000),
      usages: ['digital signature', 'client auth'],
    },
  };
  await client.send({ method: 'POST', path: CSR_PATH, body: csr }, signal);
  await client.send(
    {
      method: 'PUT',
      path: `${CSR_PATH}/${name}/approval`,
      body: {
        ...csr,
        status: {
          conditions: [
            {
              type: 'Approved',
              status: 'True',
              reason: 'GatehouseApproved',
              message: `tenant ${c.uid} of the directory`,
            },
          ],
        },
      },
    },
    signal,
  );
  let certificate: string | undefined;
  for (let i = 0; i < ISSUE_POLLS && !certificate; i++) {
    const got = await client.send<{ status?: { certificate?: string; conditions?: { type?: string }[] } }>(
      { method: 'GET', path: `${CSR_PATH}/${name}` },
      signal,
    );
    certificate = got.status?.certificate;
    if (got.status?.conditions?.some((x) => x.type === 'Denied' || x.type === 'Failed')) {
      throw new GatehouseError('TARGET_FAILED', `certificate request ${name} was denied or failed`);
    }
    if (!certificate) await new Promise((r) => setTimeout(r, ISSUE_POLL_MS));
  }
  if (!certificate) {
    throw new GatehouseError('TIMEOUT', `certificate request ${name} was approved but not issued in time`);
  }
  const kubeconfig = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'cluster',
        cluster: {
          server,
          ...(client.caPem ? { 'certificate-authority-data': Buffer.from(client.caPem).toString('base64') } : {}),
        },
      },
    ],
    users: [
      {
        name: c.user,
        user: { 'client-certificate-data': certificate, 'client-key-data': Buffer.from(keyPem).toString('base64') },
      },
    ],
    contexts: [{ name: c.user, context: { cluster: 'cluster', user: c.user, namespace: c.namespace } }],
    'current-context': c.user,
  };
  await writeOwnedFile(c.path, stringify(kubeconfig), c.uidNumber, c.gidNumber);
  return `certificate from ${name} written to ${c.path}`;
}

/**
 * Writes `content` as a new file with mode 0600 owned by uid/gid, then renames it over `path`: readers see the old
 * file or the new one. A missing parent directory is created with mode 0700 and the same owner. Ownership is set
 * before the rename, so the file is never the account's name with another owner.
 */
export async function writeOwnedFile(path: string, content: string, uid: number, gid: number): Promise<void> {
  const dir = dirname(path);
  const existed = await stat(dir).then(
    () => true,
    () => false,
  );
  if (!existed) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chown(dir, uid, gid);
  }
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await fh.chmod(0o600);
      await fh.chown(uid, gid);
      await fh.writeFile(content, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw new GatehouseError('TARGET_FAILED', `writing ${path}: ${(e as Error).message}`, { cause: e });
  }
}
