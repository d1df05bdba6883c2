import * as z from 'zod';

/** Config of the `links` source (light: the registry imports it without the implementation). */
export const linksSchema = z
  .object({
    type: z.literal('links'),
    description: z.string().optional(),
  })
  .strict()
  .describe(
    'Approved account links from the store, as people: each person id (e.g. discord:1234) with the numeric GitHub id ' +
      'it proved through GitHub OAuth. Name it in a github target’s `people` beside the source of the groups.',
  );
