import { REST } from '@discordjs/rest';
import { describeLink, type Link } from '../../core/links.ts';
import { releasedChanges, releaseVerdicts, type Release } from '../../core/releases.ts';

/** Button `custom_id`s: `link:approve:<link id>` and `link:reject:<link id>`. */
export const BUTTON = /^link:(approve|reject):([0-9a-f-]{36})$/;
/** The Release button of a queued guard release: `release:<release id>`. */
export const RELEASE_BUTTON = /^release:([0-9a-f-]{36})$/;

/** Where and how requests are posted: the bot token's REST client and the approvers' channel. */
export interface DiscordChannel {
  readonly apiUrl: string;
  readonly token: string;
  readonly channelId: string;
  /** Bound of each request (`run.requestTimeout`). */
  readonly timeoutMs: number;
}

/**
 * The approval messages in Discord: a new request is posted to the channel with Approve and Reject buttons; once
 * decided, the message is edited (PATCH) to say who decided and its buttons are disabled, so nobody presses them again.
 * Mentions are never parsed: a GitHub login in a message cannot ping anyone.
 */
export class DiscordMessages {
  readonly #rest: REST;
  readonly #channelId: string;

  constructor(c: DiscordChannel) {
    this.#rest = new REST({ api: c.apiUrl, timeout: c.timeoutMs, retries: 1 }).setToken(c.token);
    this.#channelId = c.channelId;
  }

  async postRequest(link: Link): Promise<void> {
    await this.#rest.post(`/channels/${this.#channelId}/messages`, {
      body: {
        content: `Link request: ${describeLink(link)}, asked by ${link.requestedBy}`,
        components: buttons(link.id, false),
        allowed_mentions: { parse: [] },
      },
    });
  }

  /** Posts a plan a guard blocked, with its verdicts, and a Release button. */
  async postRelease(r: Release): Promise<void> {
    const verdicts = releaseVerdicts(r);
    const changes = releasedChanges(r);
    const shown = changes.slice(0, 10);
    await this.#rest.post(`/channels/${this.#channelId}/messages`, {
      body: {
        content: [
          `Blocked by a guard on ${r.target} (plan ${r.planId}):`,
          ...verdicts.map((v) => `- ${v}`),
          ...shown.map((c) => `  ${c}`),
          ...(changes.length > shown.length ? [`  … and ${changes.length - shown.length} more`] : []),
          'Release applies this exact plan once, only if it is still what gatehouse would do now.',
        ]
          .join('\n')
          .slice(0, 2000),
        components: [
          {
            type: 1,
            components: [{ type: 2, style: 4, label: 'Release', custom_id: `release:${r.id}`, disabled: false }],
          },
        ],
        allowed_mentions: { parse: [] },
      },
    });
  }

  async markDecided(channelId: string, messageId: string, link: Link): Promise<void> {
    const verb = link.status === 'approved' ? 'Approved' : link.status === 'rejected' ? 'Rejected' : link.status;
    await this.#rest.patch(`/channels/${channelId}/messages/${messageId}`, {
      body: {
        content: `${verb}: ${describeLink(link)}, by ${link.decidedBy ?? 'unknown'}`,
        components: buttons(link.id, true),
        allowed_mentions: { parse: [] },
      },
    });
  }
}

function buttons(id: string, disabled: boolean) {
  return [
    {
      type: 1,
      components: [
        { type: 2, style: 3, label: 'Approve', custom_id: `link:approve:${id}`, disabled },
        { type: 2, style: 4, label: 'Reject', custom_id: `link:reject:${id}`, disabled },
      ],
    },
  ];
}
