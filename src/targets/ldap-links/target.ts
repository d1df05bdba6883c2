import type { Change, ChangeResult, DesiredContext, Target } from '../../core/contracts.ts';
import { GatehouseError, describeError } from '../../core/errors.ts';
import type { GuardVerdict } from '../../core/plan.ts';
import type { PluginDeps, TargetBody } from '../../plugins.ts';
import { describeLdap, openSession, type LdapSession } from '../../adapters/ldap/connection.ts';
import type { LdapLinksConfig } from './config.ts';
import type { Person } from '../../core/model.ts';

/** Approved links by the account they join on: LDAP uid, or Discord id. */
export interface LdapLinksDesired {
  readonly byUid: ReadonlyMap<string, number>;
  readonly byDiscord: ReadonlyMap<string, number>;
}

export interface LinkedEntry {
  readonly dn: string;
  readonly uid: string;
  readonly discordId?: string;
  /** The attribute's current values. */
  readonly values: readonly string[];
}

export interface LdapLinksChange extends Change {
  readonly kind: 'ldap-link-set' | 'ldap-link-clear';
  readonly dn: string;
  /** The value to write; absent for a clear. */
  readonly githubId?: number;
}

/** Desired state: the GitHub id of every approved link, keyed by the account it names. Pure. */
export function desiredLinks(config: LdapLinksConfig, ctx: DesiredContext): LdapLinksDesired {
  const byUid = new Map<string, number>();
  const byDiscord = new Map<string, number>();
  // Indexed loops here and in the diff: run once per plan, an iterator makes a result object per person (60k–100k).
  const people = ctx.sources.get(config.links)?.facts.people ?? [];
  for (let i = 0; i < people.length; i++) {
    const p = people[i] as Person;
    const gh = p.accounts.github;
    if (gh === undefined) continue;
    if (p.accounts.ldap !== undefined) byUid.set(p.accounts.ldap, gh);
    if (p.accounts.discord !== undefined) byDiscord.set(p.accounts.discord, gh);
  }
  return { byUid, byDiscord };
}

/** One change per entry whose attribute differs from its approved link: set (one value) or clear. Pure. */
export function diffLinks(desired: LdapLinksDesired, observed: readonly LinkedEntry[]): LdapLinksChange[] {
  const out: LdapLinksChange[] = [];
  for (let i = 0; i < observed.length; i++) {
    const e = observed[i] as LinkedEntry;
    const want =
      desired.byUid.get(e.uid) ?? (e.discordId === undefined ? undefined : desired.byDiscord.get(e.discordId));
    if (want !== undefined) {
      if (e.values.length === 1 && e.values[0] === String(want)) continue;
      out.push({
        kind: 'ldap-link-set',
        id: `link-set:${e.uid}`,
        dn: e.dn,
        githubId: want,
        summary: `set the GitHub id of ${e.uid} to ${want}`,
        destructive: e.values.length > 0,
        add: [String(want)],
        ...(e.values.length > 0 ? { remove: [...e.values] } : {}),
      });
    } else if (e.values.length > 0) {
      out.push({
        kind: 'ldap-link-clear',
        id: `link-clear:${e.uid}`,
        dn: e.dn,
        summary: `clear the GitHub id of ${e.uid} (no approved link)`,
        destructive: true,
        remove: [...e.values],
      });
    }
  }
  return out;
}

/** Blocks a run that would clear more than `maxClearFraction` of the ids held (a lost links store, say). Pure. */
export function guardLinks(
  config: LdapLinksConfig,
  changes: readonly LdapLinksChange[],
  observed: readonly LinkedEntry[],
): GuardVerdict[] {
  const clears = changes.filter((c) => c.kind === 'ldap-link-clear');
  const held = observed.filter((e) => e.values.length > 0).length;
  const max = config.guards.maxClearFraction;
  if (clears.length <= 1 || max >= 1 || clears.length <= held * max)
    return [
      { guard: 'ldap-links: clear fraction', outcome: 'pass', changeIds: [], message: `${clears.length} clear(s)` },
    ];
  return [
    {
      guard: 'ldap-links: clear fraction',
      outcome: 'reject',
      changeIds: clears.map((c) => c.id),
      message: `would clear ${clears.length} of ${held} GitHub ids (more than ${max * 100}%); check the links store`,
    },
  ];
}

/** The `ldap-links` target: observe reads entries under people.base; each change is one replace of the attribute. */
export function createLdapLinksTarget(
  name: string,
  config: LdapLinksConfig,
  deps: PluginDeps,
): TargetBody<Target<LdapLinksDesired, LinkedEntry[], LdapLinksChange>> {
  const connect = () =>
    openSession(config.connection, {
      origin: `target ${name}`,
      baseDir: deps.baseDir,
      code: 'TARGET_FAILED',
      requestTimeoutMs: deps.requestTimeoutMs,
    });
  const withSession = async <T>(fn: (s: LdapSession) => Promise<T>): Promise<T> => {
    const s = await connect();
    try {
      return await fn(s);
    } finally {
      await s.close();
    }
  };
  const p = config.people;
  return {
    name,
    type: 'ldap-links',
    atomic: false,
    desired: (ctx) => desiredLinks(config, ctx),
    observe: (signal) =>
      withSession(async (s) => {
        const out: LinkedEntry[] = [];
        await s.forEach(
          {
            base: p.base,
            scope: p.scope,
            filter: p.filter,
            attributes: [p.uidAttribute, p.discordIdAttribute, config.attribute],
          },
          (e) => {
            const uid = e.first(p.uidAttribute);
            if (!uid) return;
            const discordId = e.first(p.discordIdAttribute);
            out.push({
              dn: e.dn,
              uid,
              ...(discordId ? { discordId } : {}),
              values: [...e.all(config.attribute)].sort(),
            });
          },
          signal,
        );
        return out.sort((a, b) => (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0));
      }),
    diff: (desired, observed) => diffLinks(desired, observed),
    guard: (changes, _desired, observed) => guardLinks(config, changes, observed),
    apply: (changes, signal) => withSession((s) => writeLinks(config, s, changes, signal)),
    // One bound connection for every change of a run; the run still checks and audits each change between calls.
    openSession: async () => {
      const s = await connect();
      return {
        apply: (changes, signal) => writeLinks(config, s, changes, signal),
        close: () => s.close().catch(() => {}),
      };
    },
  };
}

async function writeLinks(
  config: LdapLinksConfig,
  s: LdapSession,
  changes: readonly LdapLinksChange[],
  signal: AbortSignal,
): Promise<ChangeResult[]> {
  const results: ChangeResult[] = [];
  for (const c of changes) {
    if (signal.aborted) {
      results.push({ id: c.id, status: 'skipped', message: 'aborted' });
      continue;
    }
    try {
      // replace: idempotent, and with no values it removes the attribute without failing when it is absent.
      await s.modify(c.dn, [
        { op: 'replace', type: config.attribute, values: c.githubId === undefined ? [] : [String(c.githubId)] },
      ]);
      results.push({ id: c.id, status: 'applied' });
    } catch (e) {
      const err =
        e instanceof GatehouseError
          ? e
          : new GatehouseError('TARGET_FAILED', `${c.id}: ${describeLdap(e)}`, { cause: e });
      results.push({ id: c.id, status: 'failed', message: describeError(err), errorCode: err.code });
    }
  }
  return results;
}
