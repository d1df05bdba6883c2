import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMonitorLine, touchedSets } from './monitor-line.ts';

const table = { family: 'inet', name: 'gh' } as const;
const managed = new Set(['allow_v4', 'allow_v6']);

describe('nft monitor lines', () => {
  const cases: [string, ReturnType<typeof parseMonitorLine>][] = [
    ['# new generation 4 by process 22153 (nft)', { kind: 'generation', generation: 4, pid: 22153 }],
    ['# ERROR: We lost some netlink events!', { kind: 'lost', text: '# ERROR: We lost some netlink events!' }],
    [
      'add element inet gh allow_v4 { 1.2.3.4 }',
      { kind: 'event', op: 'add', object: 'element', family: 'inet', table: 'gh', name: 'allow_v4' },
    ],
    [
      'delete element inet gh allow_v4 { 10.0.0.0/24 }',
      { kind: 'event', op: 'delete', object: 'element', family: 'inet', table: 'gh', name: 'allow_v4' },
    ],
    ['add table inet other', { kind: 'event', op: 'add', object: 'table', family: 'inet', table: 'other' }],
    ['delete table inet gh', { kind: 'event', op: 'delete', object: 'table', family: 'inet', table: 'gh' }],
    [
      'create table inet gatehouse_sync_ab12',
      { kind: 'event', op: 'create', object: 'table', family: 'inet', table: 'gatehouse_sync_ab12' },
    ],
    [
      'delete set inet gh allow_v4',
      { kind: 'event', op: 'delete', object: 'set', family: 'inet', table: 'gh', name: 'allow_v4' },
    ],
    [
      'add rule inet gh input tcp dport 5432 drop',
      { kind: 'event', op: 'add', object: 'rule', family: 'inet', table: 'gh', name: 'input' },
    ],
    // A table named like a family is still read as a table, not as the start of a two-word object.
    [
      'add set inet inet allow_v4 { type ipv4_addr; flags interval; }',
      { kind: 'event', op: 'add', object: 'set', family: 'inet', table: 'inet', name: 'allow_v4' },
    ],
    ['\tsome continuation', { kind: 'unknown', text: '\tsome continuation' }],
    ['flush ruleset', { kind: 'unknown', text: 'flush ruleset' }],
  ];
  for (const [line, expected] of cases) {
    it(`parses ${JSON.stringify(line)}`, () => assert.deepEqual(parseMonitorLine(line), expected));
  }
});

describe('which managed sets a transaction touched', () => {
  const t = (...lines: string[]) => touchedSets(lines.map(parseMonitorLine), table, managed);
  const cases: [string, string[], 'all' | string[]][] = [
    ['an element of a managed set', ['add element inet gh allow_v4 { 1.2.3.4 }'], ['allow_v4']],
    [
      'elements of both managed sets',
      ['delete element inet gh allow_v6 { ::1 }', 'add element inet gh allow_v4 { 1.2.3.4 }'],
      ['allow_v4', 'allow_v6'],
    ],
    ['an element of another set of the table', ['add element inet gh merge_v4 { 1.2.3.4 }'], []],
    ['the same set name in another table', ['add element inet other allow_v4 { 1.2.3.4 }'], []],
    ['the same table name in another family', ['add element ip gh allow_v4 { 1.2.3.4 }'], []],
    ['a rule of the table', ['add rule inet gh input tcp dport 22 accept'], []],
    ['the managed set deleted', ['delete set inet gh allow_v6'], ['allow_v6']],
    ['the table deleted (flush ruleset)', ['delete set inet gh allow_v4', 'delete table inet gh'], 'all'],
    ['a line not understood', ['add element inet gh allow_v4 { 1.2.3.4 }', '}'], 'all'],
    ['lost events', ['# ERROR: We lost some netlink events!'], 'all'],
  ];
  for (const [name, lines, expected] of cases) {
    it(name, () => {
      const got = t(...lines);
      assert.deepEqual(got === 'all' ? 'all' : [...got].sort(), expected);
    });
  }
});
