import * as z from 'zod';
import { changeOf } from '../../core/change-schema.ts';

const dn = z.string().min(1);
const uid = z.string().min(1);
const values = z.array(z.string());

/** Every change the ldap-groups target plans (`LdapGroupsChange`), for reading a saved plan back. */
export const ldapGroupsChangeSchema = z.discriminatedUnion('kind', [
  changeOf('ldap-group-members', { group: dn, add: values, remove: values }),
  changeOf('ldap-lock', { dn, uid }),
  changeOf('ldap-unlock', {
    dn,
    uid,
    clear: z.strictObject({ nsAccountLock: z.boolean(), pwdAccountLockedTime: z.boolean() }),
  }),
  changeOf('ldap-forget-lock', { dn, uid }),
  changeOf('ldap-create-account', {
    personId: z.string().min(1),
    discordId: z.string().min(1),
    dn,
    attributes: z.record(z.string(), values),
  }),
]);
