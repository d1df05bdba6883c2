import { defineTarget } from '../../plugins.ts';
import { tableChangeSchema } from './change-schema.ts';
import { postfixSenderLoginsSchema, postfixSenderLoginsSourceRefs } from './config.ts';
import { createPostfixSenderLoginsTarget } from './target.ts';

/**
 * The `postfix-sender-logins` target: writes Postfix's `smtpd_sender_login_maps` table (envelope sender → SASL logins
 * allowed to use it) from people, groups and static entries, compiled with postmap and swapped in atomically, so that
 * `reject_sender_login_mismatch` stops anyone who can log in from sending as someone else.
 */
export const postfixSenderLoginsTarget = defineTarget({
  type: 'postfix-sender-logins',
  schema: postfixSenderLoginsSchema,
  changeSchema: tableChangeSchema,
  sourceRefs: postfixSenderLoginsSourceRefs,
  create: (name, config, deps) => createPostfixSenderLoginsTarget(name, config, deps),
});

export { postfixSenderLoginsSchema, MAP_TYPES, type MapType, type PostfixSenderLoginsConfig } from './config.ts';
export { createPostfixSenderLoginsTarget, type PostfixSenderLoginsTarget } from './target.ts';
export { desiredState, referencedSources } from './desired.ts';
export { diffSenderLogins, finalEntries } from './diff.ts';
export { guardSenderLogins } from './guard.ts';
export { installTable } from './install-table.ts';
export { parseTable, renderLine, renderTable } from './render.ts';
export type * from './types.ts';
export { tableChangeSchema } from './change-schema.ts';
