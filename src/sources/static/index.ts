import { aggregate, parsePrefix } from '../../core/address.ts';
import type { Group, Person, SourceRead } from '../../core/model.ts';
import { defineSource } from '../../plugins.ts';
import { staticSchema } from './schema.ts';

/** Facts written in the config. Always complete; invalid values are config errors reported by `validate`. */
export const staticSource = defineSource({
  type: 'static',
  schema: staticSchema,
  create(name, config) {
    return {
      name,
      type: 'static',
      // What the config says is the answer, empty included: nothing here can fail or be truncated.
      allowEmpty: true,
      read(): Promise<SourceRead> {
        const prefixes = config.addresses.map((a, i) => parsePrefix(a, `source ${name}: addresses[${i}]`));
        const people: Person[] = config.people.map((p) => ({
          id: p.id,
          ...(p.displayName ? { displayName: p.displayName } : {}),
          accounts: {
            ...(p.github ? { github: p.github } : {}),
            ...(p.discord ? { discord: p.discord } : {}),
            ...(p.ldap ? { ldap: p.ldap } : {}),
            ...(p.emails ? { emails: p.emails } : {}),
          },
        }));
        const groups: Group[] = Object.entries(config.groups).map(([g, members]) => ({
          name: g,
          members: [...new Set(members)].sort(),
        }));
        return Promise.resolve({
          complete: true,
          facts: { addressSets: [{ name, prefixes: aggregate(prefixes) }], people, groups },
          notes: [],
        });
      },
    };
  },
});
