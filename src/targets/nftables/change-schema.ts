import * as z from 'zod';
import { changeOf } from '../../core/change-schema.ts';

const family = z.union([z.literal(4), z.literal(6)]);
const elements = z.array(z.string());

/** Every change the nftables target plans (`NftChange`), for reading a saved plan back. */
export const nftChangeSchema = z.discriminatedUnion('kind', [
  // A set change is a delta (each element once): apply works out the contents from the verified observation.
  changeOf('nft-set', { family, set: z.string().min(1), add: elements, remove: elements }),
  // The include change carries no elements: apply renders it from the sets' contents after this plan.
  changeOf('nft-include', {
    id: z.literal('include'),
    path: z.string().min(1),
    reason: z.enum(['missing', 'outdated']),
  }),
]);
