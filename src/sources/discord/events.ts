import { EventEmitter, on } from 'node:events';
import type { GuildMember, PartialGuildMember } from 'discord.js';
import type { Runnable } from '../../core/contracts.ts';
import { describeError } from '../../core/errors.ts';

/**
 * Something changed in the guild, or may have changed unseen. Events carry no state on purpose: reconciliation is
 * level-based, so an event only asks for a new run, which re-reads the member list.
 * `resync`: the gateway (re)connected; events may have been missed while it was down.
 */
export interface MemberEvent {
  readonly kind: 'member-add' | 'member-update' | 'member-remove' | 'resync';
  readonly guildId: string;
  readonly userId?: string;
}

export interface DiscordWatcherOptions {
  readonly token: string;
  readonly guildId: string;
  /** API base URL without version, as for @discordjs/rest. The gateway URL comes from `GET /gateway/bot`. */
  readonly apiUrl: string;
  readonly onError?: (message: string) => void;
}

interface WatcherEvents {
  event: [MemberEvent];
}

/**
 * Gateway member events of one guild through discord.js (intents Guilds + GuildMembers, partial members so updates
 * and removals of uncached members still arrive). A Runnable: `start(signal)` logs in, emits `event` until the signal
 * aborts, then destroys the client and resolves. Login failures reject `start`. discord.js reconnects by itself; every
 * (re)connection emits `resync`.
 *
 * Does NOT read or hold member state: consumers enqueue a run and let the source read the list.
 */
export class DiscordWatcher extends EventEmitter<WatcherEvents> implements Runnable {
  readonly #o: DiscordWatcherOptions;

  constructor(options: DiscordWatcherOptions) {
    super();
    this.#o = options;
  }

  async start(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    // Loaded here, not at module load: discord.js takes about half a second to import, and only the daemon's
    // watcher needs it; every CLI command would pay for it otherwise.
    const { Client, Events, GatewayIntentBits, Partials } = await import('discord.js');
    const client = new Client({
      intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMembers],
      partials: [Partials.GuildMember, Partials.User],
      rest: { api: this.#o.apiUrl, version: '10' },
    });
    const guildId = this.#o.guildId;
    const emit = (kind: MemberEvent['kind'], m?: GuildMember | PartialGuildMember) => {
      if (m && m.guild.id !== guildId) return;
      this.emit('event', { kind, guildId, ...(m ? { userId: m.id } : {}) });
    };
    client.on(Events.GuildMemberAdd, (m) => emit('member-add', m));
    client.on(Events.GuildMemberUpdate, (_old, m) => emit('member-update', m));
    client.on(Events.GuildMemberRemove, (m) => emit('member-remove', m));
    client.on(Events.ClientReady, () => emit('resync'));
    client.on(Events.ShardResume, () => emit('resync'));
    client.on(Events.Error, (e) => this.#o.onError?.(describeError(e)));
    let onAbort = (): void => {};
    const stopped = new Promise<void>((resolve) => {
      onAbort = () => resolve();
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      await Promise.race([client.login(this.#o.token), stopped]);
      await stopped;
    } finally {
      // Also on a failed login: no listener left on the caller's signal, no gateway socket or heartbeat timer left.
      signal.removeEventListener('abort', onAbort);
      await client.destroy();
    }
  }

  /** The events as an async iterator, ending when `signal` aborts. */
  async *events(signal: AbortSignal): AsyncGenerator<MemberEvent> {
    try {
      for await (const [e] of on(this, 'event', { signal }) as AsyncIterableIterator<[MemberEvent]>) yield e;
    } catch (e) {
      if (!signal.aborted) throw e;
    }
  }
}
