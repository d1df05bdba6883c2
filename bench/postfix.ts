/**
 * postfix-sender-logins benchmark. Run on demand: `node_modules/.bin/node bench/postfix.ts` (needs Debian's postfix
 * for postmap; no Postfix is started, and the host's /etc/postfix is never read: postmap gets a main.cf of its own).
 *
 * With 100,000 addresses (hash type):
 *  1. raw: `postmap hash:FILE` of the very file the target renders, already on disk.
 *  2. target: render + write + postmap beside the live table + date + rename (installTable), from the plan's lines.
 *  3. pass: the whole target run from facts: desired + observe (postmap -s of the live table) + diff + guard + apply.
 * Goal: target ≤ 1.2× raw. Each figure is the median of REPS runs; runs alternate between two tables (a login renamed
 * on every tenth address) so every install really replaces.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DesiredContext } from '../src/core/contracts.ts';
import type { Person } from '../src/core/model.ts';
import {
  installTable,
  postfixSenderLoginsTarget,
  renderTable,
  type TableChange,
} from '../src/targets/postfix-sender-logins/index.ts';
import { testDeps } from '../src/testing/plugin-deps.ts';

const N = Number(process.env.N ?? 100_000);
const REPS = Number(process.env.REPS ?? 3);

function people(variant: number): Person[] {
  return Array.from({ length: N }, (_, i) => ({
    id: `ldap:u${i}`,
    accounts: { ldap: i % 10 === 0 ? `u${i}v${variant}` : `u${i}`, emails: [`user${i}@example.org`] },
  }));
}
const ctxOf = (p: Person[]): DesiredContext => ({
  sources: new Map([['dir', { name: 'dir', type: 'ldap', status: 'live', facts: { people: p }, notes: [] }]]),
});

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}
async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

const dir = await mkdtemp(join(tmpdir(), 'gatehouse-bench-postfix-'));
try {
  const etc = join(dir, 'etc');
  await mkdir(etc);
  await writeFile(join(etc, 'main.cf'), 'compatibility_level = 3.6\n');
  const table = join(dir, 'sender_logins');
  const config = postfixSenderLoginsTarget.schema.parse({
    type: 'postfix-sender-logins',
    table,
    postfix: { configDir: etc },
    people: { from: ['dir'] },
    maxShrink: 1,
  });
  const target = postfixSenderLoginsTarget.create('bench', config, testDeps());
  const tools = { postmap: ['postmap'], configDir: etc, timeoutMs: 600_000 };
  const signal = AbortSignal.timeout(3_600_000);
  const ctxs = [ctxOf(people(0)), ctxOf(people(1))];
  const lines = ctxs.map((c) => {
    const d = target.desired(c);
    return target.diff(d, { exists: false, entries: [] })[0] as TableChange;
  });

  const raw: number[] = [];
  const install: number[] = [];
  const pass: number[] = [];
  const rawFile = join(dir, 'raw_logins');
  for (let r = 0; r < REPS; r++) {
    for (const v of [0, 1]) {
      const text = renderTable((lines[v] as TableChange).lines, 'bench');
      await writeFile(rawFile, text);
      const measureRaw = async () =>
        raw.push(await time(() => Promise.resolve(execFileSync('postmap', ['-c', etc, `hash:${rawFile}`]))));
      const measureInstall = async () =>
        install.push(
          await time(() =>
            installTable(table, 'hash', renderTable((lines[v] as TableChange).lines, 'bench'), tools, signal),
          ),
        );
      // Alternate which goes first, so neither always runs on a warmer cache.
      if ((r + v) % 2 === 0) {
        await measureRaw();
        await measureInstall();
      } else {
        await measureInstall();
        await measureRaw();
      }
    }
  }
  for (let r = 0; r < REPS; r++) {
    for (const v of [1, 0]) {
      pass.push(
        await time(async () => {
          const d = target.desired(ctxs[v] as DesiredContext);
          const o = await target.observe(signal);
          const changes = target.diff(d, o);
          const verdicts = target.guard?.(changes, d, o, ctxs[v] as DesiredContext) ?? [];
          if (verdicts.some((x) => x.outcome === 'reject' && x.changeIds.length > 0)) throw new Error('guard rejected');
          const res = await target.apply(changes, signal);
          if (res.some((x) => x.status !== 'applied')) throw new Error(JSON.stringify(res));
        }),
      );
    }
  }
  const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const rawM = median(raw);
  process.stdout.write(
    [
      `postfix-sender-logins, ${N.toLocaleString('en')} addresses, hash, median of ${raw.length} runs`,
      `  raw postmap of the rendered file          ${fmt(rawM)}`,
      `  render + postmap + swap (installTable)    ${fmt(median(install))}  ${(median(install) / rawM).toFixed(2)}× raw (goal ≤ 1.2×)`,
      `  desired + observe + diff + guard + apply  ${fmt(median(pass))}  ${(median(pass) / rawM).toFixed(2)}× raw`,
      '',
    ].join('\n'),
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
