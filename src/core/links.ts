import type { AuditEvent, AuditLog } from './audit.ts';
import { GatehouseError } from './errors.ts';

/**
 * Account links: a person's identities (a gatehouse person id, and the Discord id or LDAP uid it stands for) joined to
 * a numeric GitHub user id proven through GitHub OAuth. A link grants nothing until an approver approves it; the
 * `links` source then exposes it as the person's GitHub account.
 */

export type LinkStatus = 'pending' | 'approved' | 'rejected' | 'revoked';
export const LINK_STATUSES: readonly LinkStatus[] = ['pending', 'approved', 'rejected', 'revoked'];

export interface Link {
  readonly id: string;
  /** The gatehouse person id the link completes, as the people sources name them (`discord:1234`, `alice`). */
  readonly person: string;
  readonly discord?: string;
  readonly ldap?: string;
  /** Numeric GitHub user id, from GitHub's `/user` answer to the requester's own OAuth token, never from input. */
  readonly githubId: number;
  /** The login GitHub reported at link time: for display only (logins are renamed and reused). */
  readonly githubLogin: string;
  readonly status: LinkStatus;
  /** Person id of who asked (the person themself, signed in). */
  readonly requestedBy: string;
  readonly requestedAt: string;
  readonly decidedBy?: string;
  readonly decidedAt?: string;
  readonly reason?: string;
}

export interface NewLink {
  readonly person: string;
  readonly discord?: string;
  readonly ldap?: string;
  readonly githubId: number;
  readonly githubLogin: string;
  readonly requestedBy: string;
}

/** Where links live (the store implements it). */
export interface LinkStore {
  /**
   * Records a pending request. Throws USAGE when the person already has a pending or approved link (unlink first), so
   * one person never holds two GitHub accounts through links.
   */
  request(link: NewLink, at: Date): Promise<Link>;
  get(id: string): Promise<Link | undefined>;
  /** Links by request time, oldest first; only those with `status` when given. */
  list(filter?: { status?: LinkStatus; person?: string }): Promise<Link[]>;
  /**
   * Moves a link from `from` to `to` atomically, recording who decided, when and why. Returns undefined when the link is
   * not in `from` any more (someone else decided first): the caller reports it, nothing is overwritten.
   */
  transition(
    id: string,
    from: LinkStatus,
    to: LinkStatus,
    decision: { by: string; at: Date; reason?: string },
  ): Promise<Link | undefined>;
}

/** Who a one-time link-flow token was issued to: a person id and the account it stands for. */
export interface LinkIdentity {
  readonly person: string;
  readonly discord?: string;
  readonly ldap?: string;
}

/** One-time tokens that start the link web flow as an identity proven elsewhere (a verified Discord interaction). */
export interface LinkTokens {
  /** A new random token for `who`, good once until `expiresAt`. Only its hash is stored. */
  issue(who: LinkIdentity, expiresAt: Date): Promise<string>;
  /** The identity of a token not yet used nor expired at `now`, marking it used; undefined otherwise. */
  consume(token: string, now: Date): Promise<LinkIdentity | undefined>;
}

export type LinkDecision = 'approve' | 'reject' | 'revoke';

const TRANSITION: Record<LinkDecision, { from: readonly LinkStatus[]; to: LinkStatus }> = {
  approve: { from: ['pending'], to: 'approved' },
  reject: { from: ['pending'], to: 'rejected' },
  // Revoking a pending request withdraws it; revoking an approved link takes the GitHub account away.
  revoke: { from: ['pending', 'approved'], to: 'revoked' },
};

export interface DecideLinkInput {
  readonly links: LinkStore;
  readonly audit: AuditLog;
  readonly id: string;
  readonly decision: LinkDecision;
  /** Person id of who decides, as the approvers group names its members. */
  readonly decider: string;
  /** Audit actor: how the decision arrived (`cli:root as carol`, `discord:123`, `web:discord:123`). */
  readonly actor: string;
  readonly reason?: string;
  /**
   * Whether `decider` is an approver, asked now (the group is read fresh at decision time, never cached: someone who
   * lost the role must not keep deciding). Rejects when that cannot be established; the decision is then refused.
   */
  readonly isApprover: (person: string) => Promise<boolean>;
  readonly now?: () => Date;
}

/**
 * Decides a link: approve or reject a pending request, or revoke a link. Only an approver decides, and nobody decides
 * their own request (neither the person linked nor who asked), except that a person may revoke their own link
 * (unlink). Every outcome is audited (action `link-decision`): applied, or refused with the reason.
 *
 * @throws GatehouseError FORBIDDEN (not an approver, own request), USAGE (no such link, or not in a state the
 *   decision applies to, e.g. already decided by someone else).
 */
export async function decideLink(input: DecideLinkInput): Promise<Link> {
  const now = input.now ?? (() => new Date());
  const link = await input.links.get(input.id);
  const what = link ? describeLink(link) : `link ${input.id}`;
  const audit = (status: AuditEvent['status'], message?: string) =>
    input.audit.append([
      {
        at: now().toISOString(),
        actor: input.actor,
        action: 'link-decision',
        target: 'links',
        changeId: input.id,
        kind: input.decision,
        summary: `${input.decision} ${what}`,
        status,
        ...(message ? { message } : {}),
      },
    ]);
  const refuse = async (code: 'FORBIDDEN' | 'USAGE', why: string): Promise<never> => {
    await audit('refused', why);
    throw new GatehouseError(code, `${input.decision} ${what} refused: ${why}`, { terminal: true });
  };

  if (!link) return refuse('USAGE', 'no such link');
  const rule = TRANSITION[input.decision];
  if (!rule.from.includes(link.status)) return refuse('USAGE', `the link is ${link.status}`);
  const own = input.decider === link.person || input.decider === link.requestedBy;
  const selfRevoke = input.decision === 'revoke' && own;
  if (own && !selfRevoke) return refuse('FORBIDDEN', `${input.decider} cannot decide their own request`);
  if (!selfRevoke) {
    let approver: boolean;
    try {
      approver = await input.isApprover(input.decider);
    } catch (e) {
      return refuse('FORBIDDEN', `could not check that ${input.decider} is an approver: ${(e as Error).message}`);
    }
    if (!approver) return refuse('FORBIDDEN', `${input.decider} is not an approver`);
  }
  const decided = await transitionFrom(input, link, rule.from, rule.to, now());
  if (!decided) return refuse('USAGE', 'someone else decided it first');
  await audit('applied', input.reason);
  return decided;
}

async function transitionFrom(
  input: DecideLinkInput,
  link: Link,
  from: readonly LinkStatus[],
  to: LinkStatus,
  at: Date,
): Promise<Link | undefined> {
  if (!from.includes(link.status)) return undefined;
  return input.links.transition(link.id, link.status, to, {
    by: input.decider,
    at,
    ...(input.reason ? { reason: input.reason } : {}),
  });
}

/** One line naming a link for humans and the audit log: `discord:1234 → github 4242 (octocat)`. */
export function describeLink(link: Pick<Link, 'person' | 'githubId' | 'githubLogin'>): string {
  return `${link.person} → github ${link.githubId} (${link.githubLogin})`;
}
