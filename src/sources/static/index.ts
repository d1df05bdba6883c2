import { z } from 'zod';
import { aggregate, parsePrefix } from '../../core/address.ts';
import type { SourceRead } from '../../core/model.ts';
import { defineSource } from '../../plugins.ts';

const schema = z
  .object({
    type: z.literal('static'),
    description: z.string().optional(),
    /** Literal IPv4/IPv6 addresses and canonical CIDRs. */
    addresses: z.array(z.string()).default([]),
  })
  .strict();

/**
 * Facts written in the config. Always complete. Invalid addresses fail the read with their position in the list, so
 * nothing half-valid leaves the source.
 */
export const staticSource = defineSource({
  type: 'static',
  schema,
  create(name, config) {
    return {
      name,
      type: 'static',
      read(): Promise<SourceRead> {
        const prefixes = config.addresses.map((a, i) => parsePrefix(a, `source ${name}: addresses[${i}]`));
        return Promise.resolve({
          complete: true,
          facts: { addressSets: [{ name, prefixes: aggregate(prefixes) }] },
          notes: [],
        });
      },
    };
  },
});
