import * as z from 'zod';

/**
 * The `allowEmpty` key of sources for which an empty answer is surprising (see `Source.allowEmpty`): one definition, so
 * every source documents it the same way.
 */
export const allowEmptySchema = z
  .boolean()
  .default(false)
  .describe(
    'true: a read with no entries is a legitimate answer. false: when the last read had entries and this one has ' +
      'none, the read counts as incomplete (the last-known-good snapshot stands in and nothing is removed).',
  );
