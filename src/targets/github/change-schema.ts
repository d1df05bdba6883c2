import * as z from 'zod';
import { changeOf } from '../../core/change-schema.ts';

const id = z.number().int().positive();
const login = z.string().nullable();
const orgRole = z.enum(['admin', 'member']);
const teamRole = z.enum(['maintainer', 'member']);
const slug = z.string().min(1);

/** Every change the github target plans (`GithubChange`), for reading a saved plan back. */
export const githubChangeSchema = z.discriminatedUnion('kind', [
  changeOf('github-invite', {
    githubId: id,
    login,
    person: z.string(),
    role: orgRole,
    teams: z.array(z.strictObject({ id, slug })),
  }),
  changeOf('github-org-role', { githubId: id, login, from: orgRole, to: orgRole }),
  changeOf('github-org-remove', { githubId: id, login, role: orgRole, known: z.boolean() }),
  changeOf('github-cancel-invitation', { invitationId: id, githubId: id.nullable(), login }),
  changeOf('github-team-set', { githubId: id, login, slug, role: teamRole, from: teamRole.nullable() }),
  changeOf('github-team-remove', { githubId: id, login, slug, role: teamRole }),
]);
