import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real OpenLDAP `slapd` for one test run: a temp dir holding a `cn=config` tree (built by `slaptest` from a
 * generated slapd.conf), an MDB database loaded with `slapadd -q`, and a server on 127.0.0.1 at a free port.
 *
 * The directory is FreeIPA-shaped: `inetOrgPerson` users (`employeeNumber` holds the Discord id) that may carry
 * `nsAccountLock` (a tiny custom schema, since OpenLDAP ships none), `groupOfNames` groups, the `memberof` overlay and
 * the `ppolicy` overlay with a default policy, so `pwdAccountLockedTime` is honoured (a locked user cannot bind).
 *
 * The size limit defaults to OpenLDAP's own default of 500 entries: the bind user gatehouse uses is not the rootdn
 * (which bypasses every limit), so tests see what a stock server does to a large search.
 *
 * Needs the Debian packages `slapd` and `ldap-utils`. `stop()` kills slapd by PID and removes the temp dir; a
 * process-exit hook does the same if the test process dies first. Every wait is bounded.
 */

export const SUFFIX = 'dc=example,dc=org';
export const ADMIN_DN = `cn=admin,${SUFFIX}`;
export const ADMIN_PASSWORD = 'admin-secret-4711';
/** The account gatehouse binds as: a service account with write access to people and groups, bound by the limits. */
export const BIND_DN = `uid=gatehouse,ou=services,${SUFFIX}`;
export const BIND_PASSWORD = 'gatehouse-secret-0815';
/** A second service account with the same rights but bound by the size limit even when BIND_DN is exempt. */
export const LIMITED_BIND_DN = `uid=gatehouse-limited,ou=services,${SUFFIX}`;
export const PEOPLE = `ou=people,${SUFFIX}`;
export const GROUPS = `ou=groups,${SUFFIX}`;
export const SERVICES = `ou=services,${SUFFIX}`;

export interface SlapdOptions {
  /** Server-wide size limit (`sizelimit`): a number or `unlimited`. Default 500, OpenLDAP's default. */
  readonly sizeLimit?: number | 'unlimited';
  /** Exempt BIND_DN from the size limit (`limits … size=unlimited`), as a deployment would. LIMITED_BIND_DN stays bound. */
  readonly bindUnlimited?: boolean;
  /** LDIF entries loaded with slapadd after the base tree (ou=people, ou=groups, ou=services, the bind user). */
  readonly ldif?: string;
  /** Also serve LDAPS and offer StartTLS, with a throwaway self-signed certificate (needs `openssl`). */
  readonly tls?: boolean;
  /**
   * With `tls`: refuse simple binds on connections without TLS (`security simple_bind=1`), so a successful bind proves
   * the session was encrypted. `ldapsearch` / `ldapmodify` of this harness then use StartTLS (`-ZZ`) themselves.
   */
  readonly requireTls?: boolean;
}

export interface Slapd {
  readonly url: string;
  /** `ldaps://127.0.0.1:PORT` when started with `tls: true`. */
  readonly ldapsUrl?: string;
  /** PEM of the throwaway CA/certificate, when started with `tls: true`. */
  readonly caPem?: string;
  readonly port: number;
  readonly dir: string;
  readonly pid: number;
  /** Runs `ldapsearch` (as the bind user unless `asAdmin`) and returns stdout; throws on a non-zero exit. */
  ldapsearch(args: readonly string[], options?: { asAdmin?: boolean; timeoutMs?: number }): Promise<string>;
  /** Applies LDIF changes with `ldapmodify` as the rootdn. */
  ldapmodify(ldif: string): Promise<void>;
  /** Kills slapd (SIGTERM, then SIGKILL after 5 s) and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

const SCHEMA_DIR = '/etc/ldap/schema';
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;

/** FreeIPA's nsAccountLock (its real OID) and an auxiliary class that allows it on users; OpenLDAP ships neither. */
const LOCK_SCHEMA = `attributetype ( 2.16.840.1.113730.3.1.610 NAME 'nsAccountLock'
  DESC 'Account inactivation (FreeIPA / 389-ds)'
  EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
objectclass ( 2.25.198411570227403725342150286939712031233.1 NAME 'gatehouseLockable'
  DESC 'test harness: users that may carry nsAccountLock' SUP top AUXILIARY MAY ( nsAccountLock ) )
`;

function slapdConf(dir: string, o: SlapdOptions): string {
  const size = o.sizeLimit ?? 500;
  const tls = o.tls
    ? `TLSCertificateFile ${dir}/cert.pem\nTLSCertificateKeyFile ${dir}/key.pem\nTLSCACertificateFile ${dir}/cert.pem\n${
        o.requireTls ? 'security simple_bind=1\n' : ''
      }`
    : '';
  return `include ${SCHEMA_DIR}/core.schema
include ${SCHEMA_DIR}/cosine.schema
include ${SCHEMA_DIR}/inetorgperson.schema
include ${SCHEMA_DIR}/nis.schema
include ${dir}/lock.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload ppolicy
moduleload memberof
pidfile ${dir}/slapd.pid
argsfile ${dir}/slapd.args
sizelimit ${size}
${tls}
database config
rootdn "cn=admin,cn=config"

database mdb
suffix "${SUFFIX}"
rootdn "${ADMIN_DN}"
rootpw ${ADMIN_PASSWORD}
directory ${dir}/data
maxsize 2147483648
index objectClass eq
index uid,cn,employeeNumber eq
index member,memberOf eq
${o.bindUnlimited ? `limits dn.exact="${BIND_DN}" size=unlimited\n` : ''}access to attrs=userPassword
  by self write
  by dn.exact="${BIND_DN}" write
  by dn.exact="${LIMITED_BIND_DN}" write
  by anonymous auth
  by * none
access to *
  by dn.exact="${BIND_DN}" manage
  by dn.exact="${LIMITED_BIND_DN}" manage
  by users read
  by * none
overlay memberof
memberof-refint true
overlay ppolicy
ppolicy_default "cn=default,ou=policies,${SUFFIX}"
`;
}

function baseLdif(): string {
  return `dn: ${SUFFIX}
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: ou=people,${SUFFIX}
objectClass: organizationalUnit
ou: people

dn: ou=groups,${SUFFIX}
objectClass: organizationalUnit
ou: groups

dn: ou=services,${SUFFIX}
objectClass: organizationalUnit
ou: services

dn: ou=policies,${SUFFIX}
objectClass: organizationalUnit
ou: policies

dn: cn=default,ou=policies,${SUFFIX}
objectClass: device
objectClass: pwdPolicy
cn: default
pwdAttribute: userPassword
pwdLockout: TRUE

dn: ${BIND_DN}
objectClass: account
objectClass: simpleSecurityObject
uid: gatehouse
userPassword: ${BIND_PASSWORD}

dn: ${LIMITED_BIND_DN}
objectClass: account
objectClass: simpleSecurityObject
uid: gatehouse-limited
userPassword: ${BIND_PASSWORD}

`;
}

interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(
  file: string,
  args: readonly string[],
  input = '',
  timeoutMs = 120_000,
  env?: NodeJS.ProcessEnv,
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      { timeout: timeoutMs, maxBuffer: 1 << 30, encoding: 'utf8', ...(env ? { env } : {}) },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      },
    );
    child.stdin?.on('error', () => {});
    child.stdin?.end(input);
  });
}

async function must(
  file: string,
  args: readonly string[],
  input = '',
  timeoutMs?: number,
  env?: NodeJS.ProcessEnv,
): Promise<string> {
  const r = await run(file, args, input, timeoutMs, env);
  if (r.code !== 0) throw new Error(`${file} ${args.join(' ')} failed (${r.code}): ${r.stderr.trim().slice(-2000)}`);
  return r.stdout;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(500, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

const live = new Set<ChildProcess>();
let hooked = false;
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  // Last resort when a test process dies without calling stop(): never leave a slapd behind.
  process.once('exit', () => {
    for (const c of live) c.kill('SIGKILL');
  });
}

/** For node:test's `skip`: a reason when slapd is not installed here, false when it is. */
export function skipUnlessSlapd(): string | false {
  return existsSync('/usr/sbin/slapd') && existsSync('/usr/bin/ldapsearch')
    ? false
    : 'needs the Debian packages slapd and ldap-utils';
}

/**
 * Starts a slapd. Always pair with `await slapd.stop()` (e.g. in `after`). On any failure while starting, whatever
 * was started is stopped and the temp dir removed before the error is thrown.
 */
export async function startSlapd(options: SlapdOptions = {}): Promise<Slapd> {
  hookExit();
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-slapd-'));
  let child: ChildProcess | undefined;
  const stop = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (c) {
      await killAndWait(c);
      live.delete(c);
    }
    await rm(dir, { recursive: true, force: true });
  };
  if (options.requireTls && !options.tls) throw new Error('requireTls needs tls');
  try {
    await mkdir(join(dir, 'data'));
    await mkdir(join(dir, 'slapd.d'));
    await writeFile(join(dir, 'lock.schema'), LOCK_SCHEMA);
    let caPem: string | undefined;
    if (options.tls) {
      await must('openssl', [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ]);
      caPem = await readFile(join(dir, 'cert.pem'), 'utf8');
    }
    await writeFile(join(dir, 'slapd.conf'), slapdConf(dir, options));
    const ldif = baseLdif() + (options.ldif ?? '');
    await writeFile(join(dir, 'data.ldif'), ldif);
    // slapadd first, from slapd.conf: slaptest opens the database read-only and fails while it does not exist yet.
    await must('slapadd', ['-q', '-f', join(dir, 'slapd.conf'), '-l', join(dir, 'data.ldif')], '', 600_000);
    await must('slaptest', ['-f', join(dir, 'slapd.conf'), '-F', join(dir, 'slapd.d')]);

    let lastError = '';
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      const tlsPort = options.tls ? await freePort() : undefined;
      const urls = [`ldap://127.0.0.1:${port}/`, ...(tlsPort ? [`ldaps://127.0.0.1:${tlsPort}/`] : [])];
      const c = spawn('slapd', ['-d', '0', '-h', urls.join(' '), '-F', join(dir, 'slapd.d')], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      child = c;
      live.add(c);
      let stderr = '';
      c.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
      const deadline = Date.now() + START_TIMEOUT_MS;
      let up = false;
      while (Date.now() < deadline && c.exitCode === null && c.signalCode === null) {
        if (await canConnect(port)) {
          up = true;
          break;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      if (up && c.exitCode === null) {
        const pid = c.pid as number;
        // The OpenLDAP tools of this harness: over StartTLS, trusting the throwaway certificate, when TLS is required.
        const toolTls = options.requireTls ? ['-ZZ'] : [];
        const toolEnv = options.requireTls
          ? { ...process.env, LDAPTLS_CACERT: join(dir, 'cert.pem'), LDAPTLS_REQCERT: 'demand' }
          : undefined;
        return {
          url: `ldap://127.0.0.1:${port}`,
          ...(tlsPort ? { ldapsUrl: `ldaps://127.0.0.1:${tlsPort}` } : {}),
          ...(caPem ? { caPem } : {}),
          port,
          dir,
          pid,
          ldapsearch: (args, o = {}) =>
            must(
              'ldapsearch',
              [
                '-LLL',
                '-x',
                ...toolTls,
                '-H',
                `ldap://127.0.0.1:${port}`,
                '-D',
                o.asAdmin ? ADMIN_DN : BIND_DN,
                '-w',
                o.asAdmin ? ADMIN_PASSWORD : BIND_PASSWORD,
                ...args,
              ],
              '',
              o.timeoutMs ?? 120_000,
              toolEnv,
            ),
          ldapmodify: async (text) => {
            await must(
              'ldapmodify',
              ['-x', ...toolTls, '-H', `ldap://127.0.0.1:${port}`, '-D', ADMIN_DN, '-w', ADMIN_PASSWORD],
              text,
              undefined,
              toolEnv,
            );
          },
          stop,
        };
      }
      lastError = stderr.trim() || `slapd did not accept connections within ${START_TIMEOUT_MS} ms`;
      await killAndWait(c);
      live.delete(c);
      child = undefined;
    }
    throw new Error(`slapd failed to start: ${lastError}`);
  } catch (e) {
    await stop();
    throw e;
  }
}

async function killAndWait(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
  c.kill('SIGTERM');
  const timer = setTimeout(() => c.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
