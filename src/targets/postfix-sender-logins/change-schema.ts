import * as z from 'zod';
import { changeOf } from '../../core/change-schema.ts';
import { MAP_TYPES } from './config.ts';

const count = z.number().int().nonnegative();

/** The one change the postfix-sender-logins target plans (`TableChange`), for reading a saved plan back. */
export const tableChangeSchema = changeOf('postfix-sender-logins', {
  path: z.string().min(1),
  mapType: z.enum(MAP_TYPES),
  lines: z.array(z.string()),
  before: count,
  after: count,
  shrunk: count,
});
