export { KubeFake, fakeKubeConfigYaml, startKubeFake, type KubeRequestCounts } from './server.ts';
export { KINDS, kindByName, type KindInfo } from './kinds.ts';
export { validateObject, validateList } from './validate.ts';
