export {
  DiscordFake,
  faults,
  startDiscordFake,
  type DiscordOperation,
  type Fault,
  type RequestLogEntry,
} from './server.ts';
export type { DiscordState, FakeMember, FakeRole } from './state.ts';
