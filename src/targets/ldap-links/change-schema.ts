import * as z from 'zod';
import { changeOf } from '../../core/change-schema.ts';

const dn = z.string().min(1);

/** Every change the ldap-links target plans (`LdapLinksChange`), for reading a saved plan back. */
export const ldapLinksChangeSchema = z.discriminatedUnion('kind', [
  changeOf('ldap-link-set', { dn, githubId: z.number().int().positive() }),
  changeOf('ldap-link-clear', { dn }),
]);
