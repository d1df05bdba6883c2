export { applyErrata } from './errata.ts';
export {
  faults,
  LinodeFake,
  startLinodeFake,
  type Fault,
  type LinodeFakeOptions,
  type LinodeOperation,
  type RequestLogEntry,
} from './server.ts';
export type { FakeCluster, FakeInstance, FakeNode, FakePool, LinodeState } from './state.ts';
