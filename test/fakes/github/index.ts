export { adaptGithubSpec, githubSpecPath, githubValidator, MODELLED } from './spec.ts';
export {
  faults,
  GithubFake,
  startGithubFake,
  type Fault,
  type GithubFakeOptions,
  type RequestCounts,
  type RequestLogEntry,
} from './server.ts';
export type { FakeInvitation, FakeOrg, FakeTeam, FakeUser, GithubState } from './state.ts';
