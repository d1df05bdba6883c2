export {
  DiscordFake,
  faults,
  startDiscordFake,
  type DiscordOperation,
  type Fault,
  type RequestLogEntry,
} from './server.ts';
export type { DiscordState, FakeCommand, FakeMember, FakeMessage, FakeRole } from './state.ts';
