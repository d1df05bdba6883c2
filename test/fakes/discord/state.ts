/** What the Discord fake serves; tests change it directly or through the fake's methods (which also dispatch events). */
export interface FakeRole {
  id: string;
  name: string;
  position: number;
}

export interface FakeMember {
  id: string;
  username: string;
  globalName: string | null;
  nick: string | null;
  bot: boolean;
  roles: string[];
  joinedAt: string;
}

/** A message the bot posted (create_message) and possibly edited (update_message); components as sent. */
export interface FakeMessage {
  id: string;
  channelId: string;
  content: string;
  components: unknown[];
  timestamp: string;
  editedTimestamp: string | null;
}

/** An application command registered in the guild (bulk_set_guild_application_commands). */
export interface FakeCommand {
  id: string;
  name: string;
  description: string;
  options?: unknown[];
}

export interface DiscordState {
  guildId: string;
  guildName: string;
  ownerId: string;
  roles: Map<string, FakeRole>;
  members: Map<string, FakeMember>;
  /** Text channels the bot may post in (create_message elsewhere: 404 Unknown Channel). */
  channels: Set<string>;
  messages: Map<string, FakeMessage>;
  commands: FakeCommand[];
}

/** Discord's UserResponse, with every field the description requires. */
export function userJson(m: FakeMember): Record<string, unknown> {
  return {
    id: m.id,
    username: m.username,
    avatar: null,
    discriminator: '0',
    public_flags: 0,
    flags: 0,
    ...(m.bot ? { bot: true } : {}),
    global_name: m.globalName,
    primary_guild: null,
  };
}

/** Discord's GuildMemberResponse. */
export function memberJson(m: FakeMember): Record<string, unknown> {
  return {
    avatar: null,
    banner: null,
    communication_disabled_until: null,
    flags: 0,
    joined_at: m.joinedAt,
    nick: m.nick,
    pending: false,
    premium_since: null,
    roles: [...m.roles],
    user: userJson(m),
    mute: false,
    deaf: false,
  };
}

/** Discord's GuildRoleResponse. */
export function roleJson(r: FakeRole): Record<string, unknown> {
  return {
    id: r.id,
    name: r.name,
    permissions: '0',
    position: r.position,
    color: 0,
    colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
    hoist: false,
    managed: false,
    mentionable: false,
    icon: null,
    unicode_emoji: null,
    flags: 0,
  };
}

/** Discord's GuildWithCountsResponse (`GET /guilds/{id}?with_counts=true`). */
export function guildJson(s: DiscordState, withCounts: boolean): Record<string, unknown> {
  return {
    id: s.guildId,
    name: s.guildName,
    icon: null,
    description: null,
    home_header: null,
    splash: null,
    discovery_splash: null,
    features: [],
    banner: null,
    owner_id: s.ownerId,
    application_id: null,
    region: 'deprecated',
    afk_channel_id: null,
    afk_timeout: 300,
    system_channel_id: null,
    system_channel_flags: 0,
    widget_enabled: false,
    widget_channel_id: null,
    verification_level: 0,
    roles: [...s.roles.values()].map(roleJson),
    default_message_notifications: 0,
    mfa_level: 0,
    explicit_content_filter: 0,
    max_presences: null,
    max_members: 500000,
    max_stage_video_channel_users: 50,
    max_video_channel_users: 25,
    vanity_url_code: null,
    premium_tier: 0,
    premium_subscription_count: 0,
    preferred_locale: 'en-US',
    rules_channel_id: null,
    safety_alerts_channel_id: null,
    public_updates_channel_id: null,
    premium_progress_bar_enabled: false,
    nsfw: false,
    nsfw_level: 0,
    emojis: [],
    stickers: [],
    incidents_data: null,
    ...(withCounts ? { approximate_member_count: s.members.size, approximate_presence_count: 0 } : {}),
  };
}

/** The bot's own user, as the fake answers for it. */
export const BOT_USER = {
  id: '900000000000000009',
  username: 'gatehouse',
  discriminator: '0',
  avatar: null,
  bot: true,
  global_name: null,
  public_flags: 0,
  flags: 0,
  primary_guild: null,
};

/**
 * A message as Discord returns it (MessageResponse): components get the numeric `id` Discord assigns, in document
 * order, and buttons keep `custom_id`, `label`, `disabled`.
 */
export function messageJson(m: FakeMessage): Record<string, unknown> {
  let n = 0;
  const withIds = (c: unknown): unknown => {
    const o = c as Record<string, unknown>;
    const id = ++n;
    return {
      ...o,
      id,
      ...(Array.isArray(o.components) ? { components: o.components.map(withIds) } : {}),
    };
  };
  return {
    type: 0,
    content: m.content,
    mentions: [],
    mention_roles: [],
    attachments: [],
    embeds: [],
    timestamp: m.timestamp,
    edited_timestamp: m.editedTimestamp,
    flags: 0,
    components: m.components.map(withIds),
    id: m.id,
    channel_id: m.channelId,
    author: BOT_USER,
    pinned: false,
    mention_everyone: false,
    tts: false,
  };
}

export function commandJson(c: FakeCommand, applicationId: string, guildId: string): Record<string, unknown> {
  return {
    id: c.id,
    application_id: applicationId,
    version: c.id,
    default_member_permissions: null,
    type: 1,
    name: c.name,
    description: c.description,
    guild_id: guildId,
    ...(c.options ? { options: c.options } : {}),
  };
}
