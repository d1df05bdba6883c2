import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { format } from 'node:util';
import SMTPConnection from 'nodemailer/lib/smtp-connection';

/**
 * A real Postfix (Debian's `postfix`) for one test run, never the host's mail system: its own config directory,
 * queue and data directories in a temp dir, smtpd on 127.0.0.1 at a free port, Cyrus SASL (PLAIN/LOGIN) against an
 * sasldb in the temp dir, and
 *
 *   smtpd_sender_login_maps = TYPE:DIR/sender_logins
 *   smtpd_sender_restrictions = reject_sender_login_mismatch
 *   smtpd_delay_reject = no            (so the 553 comes at MAIL FROM, not at RCPT TO)
 *   smtpd_recipient_restrictions = reject   (every RCPT is refused: no test mail is ever queued)
 *
 * and every transport set to `error:` besides. The sasldb is readable by group `postfix` (smtpd runs as postfix);
 * users are created in the realm `myhostname`, which is the one smtpd uses, so the SASL login is the bare user name.
 *
 * Needs root and the Debian packages postfix, sasl2-bin, libsasl2-modules. `stop()` stops Postfix and removes the
 * temp dir; a process-exit hook kills the master by PID if the test dies first. Every wait is bounded.
 */
export interface Postfix {
  readonly dir: string;
  readonly configDir: string;
  readonly port: number;
  /** Path of the sender login table's source file (compiled beside it). */
  readonly table: string;
  /** One SMTP session (nodemailer's SMTPConnection): AUTH as `user`, then `MAIL FROM:<from>`; its reply. */
  mailFrom(user: string, password: string, from: string): Promise<SmtpReply>;
  /** `postfix reload`. */
  reload(): Promise<void>;
  /** The Postfix log (maillog_file). */
  log(): Promise<string>;
  stop(): Promise<void>;
}

export interface SmtpReply {
  readonly code: number;
  readonly text: string;
}

export interface PostfixOptions {
  /** SASL users: login → password. */
  readonly users: Readonly<Record<string, string>>;
  readonly mapType?: string;
  /** Lines of a table written (and compiled) before smtpd starts: smtpd refuses to start without its tables. */
  readonly initialTable: readonly string[];
}

export const MYHOSTNAME = 'mx.test.invalid';
const START_TIMEOUT_MS = 20_000;
const live = new Set<string>();
let hooked = false;

/** For node:test's `skip`: a reason when this cannot run here, false when it can. */
export function skipUnlessPostfix(): string | false {
  if (userInfo().uid !== 0) return 'needs root (Postfix master runs as root)';
  for (const f of ['/usr/sbin/postfix', '/usr/sbin/postmap', '/usr/sbin/saslpasswd2']) {
    if (!existsSync(f)) return 'needs the Debian packages postfix, sasl2-bin and libsasl2-modules';
  }
  return false;
}

/** Map types this postfix supports (`postconf -m`). */
export async function supportedMapTypes(configDir?: string): Promise<string[]> {
  return (await must('postconf', [...(configDir ? ['-c', configDir] : []), '-m'])).split('\n').filter(Boolean);
}

export async function startPostfix(options: PostfixOptions): Promise<Postfix> {
  hookExit();
  const type = options.mapType ?? 'hash';
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-postfix-'));
  // smtpd runs as postfix and must reach the queue, the table and the sasldb.
  await chmod(dir, 0o755);
  const configDir = join(dir, 'etc');
  const table = join(dir, 'sender_logins');
  const pc = ['-c', configDir];
  let started = false;
  const stop = async () => {
    if (started) {
      started = false;
      await run('postfix', [...pc, 'stop']);
      await killMaster(dir);
    }
    live.delete(dir);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const port = await freePort();
    for (const d of ['etc/sasl', 'queue', 'data']) await mkdir(join(dir, d), { recursive: true });
    const postfix = await ids('postfix');
    await chown(join(dir, 'data'), postfix.uid, postfix.gid);
    await writeFile(join(configDir, 'main.cf'), mainCf(dir, table, type));
    await writeFile(join(configDir, 'master.cf'), masterCf(port));
    // Debian's Postfix reads SASL config from $config_directory/sasl/<smtpd_sasl_path>.conf.
    await writeFile(
      join(configDir, 'sasl', 'smtpd.conf'),
      `pwcheck_method: auxprop\nauxprop_plugin: sasldb\nmech_list: PLAIN LOGIN\nsasldb_path: ${dir}/sasldb2\n`,
    );
    for (const [user, password] of Object.entries(options.users)) {
      await must('saslpasswd2', ['-f', join(dir, 'sasldb2'), '-u', MYHOSTNAME, '-p', '-c', user], `${password}\n`);
    }
    await chown(join(dir, 'sasldb2'), 0, postfix.gid);
    await chmod(join(dir, 'sasldb2'), 0o640);
    await writeFile(table, options.initialTable.map((l) => `${l}\n`).join(''), { mode: 0o644 });
    if (type !== 'texthash') await must('postmap', [...pc, `${type}:${table}`]);
    await must('postfix', [...pc, 'check']);
    await must('postfix', [...pc, 'start']);
    started = true;
    live.add(dir);
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!(await canConnect(port))) {
      if (Date.now() > deadline) throw new Error(`postfix did not listen on ${port}: ${await tail(dir)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return {
      dir,
      configDir,
      port,
      table,
      mailFrom: (user, password, from) => mailFrom(port, user, password, from),
      reload: async () => void (await must('postfix', [...pc, 'reload'])),
      log: () => readFile(join(dir, 'maillog'), 'utf8').catch(() => ''),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

function mainCf(dir: string, table: string, type: string): string {
  return `compatibility_level = 3.6
queue_directory = ${dir}/queue
data_directory = ${dir}/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
shlib_directory = /usr/lib/postfix
meta_directory = /etc/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = ${MYHOSTNAME}
mydomain = test.invalid
myorigin = test.invalid
mydestination =
mynetworks =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
maillog_file_prefixes = ${dir}
maillog_file = ${dir}/maillog
default_transport = error:tests send no mail
relay_transport = error:tests send no mail
local_transport = error:tests send no mail
smtpd_tls_security_level = none
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
smtpd_sender_login_maps = ${type}:${table}
smtpd_sender_restrictions = reject_sender_login_mismatch
smtpd_recipient_restrictions = reject
smtpd_delay_reject = no
`;
}

function masterCf(port: number): string {
  const services = [
    `127.0.0.1:${port} inet n - n - - smtpd`,
    'pickup unix n - n 60 1 pickup',
    'cleanup unix n - n - 0 cleanup',
    'qmgr unix n - n 300 1 qmgr',
    'rewrite unix - - n - - trivial-rewrite',
    'bounce unix - - n - 0 bounce',
    'defer unix - - n - 0 bounce',
    'trace unix - - n - 0 bounce',
    'verify unix - - n - 1 verify',
    'proxymap unix - - n - - proxymap',
    'showq unix n - n - - showq',
    'error unix - - n - - error',
    'retry unix - - n - - error',
    'discard unix - - n - - discard',
    'anvil unix - - n - 1 anvil',
    'scache unix - - n - 1 scache',
    'postlog unix-dgram n - n - 1 postlogd',
  ];
  return services.join('\n') + '\n';
}

/**
 * One SMTP session through nodemailer: EHLO, AUTH, MAIL FROM, RCPT TO (always refused by this server), QUIT. Returns
 * the reply to MAIL FROM, read from nodemailer's transaction log.
 */
async function mailFrom(port: number, user: string, password: string, from: string): Promise<SmtpReply> {
  const lines: { tnx: string; text: string }[] = [];
  const record = (meta: { tnx?: string }, ...args: unknown[]) =>
    void lines.push({ tnx: meta.tnx ?? '', text: format(...args) });
  const logger = {
    trace: record,
    debug: record,
    info: record,
    warn: record,
    error: record,
    fatal: record,
    level: () => {},
  };
  const c = new SMTPConnection({
    host: '127.0.0.1',
    port,
    secure: false,
    ignoreTLS: true,
    name: 'client.test.invalid',
    connectionTimeout: 10_000,
    socketTimeout: 10_000,
    debug: true,
    logger: logger as never,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      c.once('error', reject);
      c.connect(() => resolve());
    });
    await new Promise<void>((resolve, reject) => c.login({ user, pass: password }, (e) => (e ? reject(e) : resolve())));
    await new Promise<void>((resolve) =>
      c.send({ from, to: ['nobody@test.invalid'] }, 'Subject: t\r\n\r\nt\r\n', () => resolve()),
    );
  } finally {
    c.quit();
    c.close();
  }
  const i = lines.findIndex((l) => l.tnx === 'client' && l.text.startsWith('MAIL FROM:'));
  const reply = lines.slice(i + 1).find((l) => l.tnx === 'server');
  if (i < 0 || !reply)
    throw new Error(`no reply to MAIL FROM in:\n${lines.map((l) => `${l.tnx}: ${l.text}`).join('\n')}`);
  return { code: Number(reply.text.slice(0, 3)), text: reply.text };
}

async function ids(user: string): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([must('id', ['-u', user]), must('id', ['-g', user])]);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

async function tail(dir: string): Promise<string> {
  return (await readFile(join(dir, 'maillog'), 'utf8').catch(() => '')).split('\n').slice(-15).join('\n');
}

/** Last resort after `postfix stop`: kill the master of this instance by its PID file. */
async function killMaster(dir: string): Promise<void> {
  const pid = Number((await readFile(join(dir, 'queue', 'pid', 'master.pid'), 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(pid) || pid <= 0) return;
  for (let i = 0; i < 50; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    for (const dir of live) {
      try {
        // Synchronous: an exit hook cannot await.
        const pid = Number(readFileSync(join(dir, 'queue', 'pid', 'master.pid'), 'utf8').trim());
        if (pid > 0) process.kill(pid, 'SIGKILL');
      } catch {
        // best effort
      }
    }
  });
}

interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(file: string, args: readonly string[], input = '', timeoutMs = 60_000): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(file, args, { timeout: timeoutMs, encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
    child.stdin?.on('error', () => {});
    child.stdin?.end(input);
  });
}

async function must(file: string, args: readonly string[], input = ''): Promise<string> {
  const r = await run(file, args, input);
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
