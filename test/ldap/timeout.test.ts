// node:test's describe/it return promises that the runner itself awaits.

import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { isGatehouseError } from '../../src/core/errors.ts';
import { ldapSource } from '../../src/sources/ldap/index.ts';
import { ldapGroupsTarget } from '../../src/targets/ldap-groups/index.ts';
import { testDeps } from '../../src/testing/plugin-deps.ts';
import { startStuckServer, type StuckServer } from '../fakes/silent-server.ts';

/*
 * The LDAP connection (ldap source and ldap-groups target) against servers that stop answering: one that accepts and
 * never answers (bind, or the TLS handshake of ldaps://), and one that accepts the bind and then never answers a
 * search. With run.requestTimeout at 500 ms every case fails with TIMEOUT well within 10 s, though the connection's
 * own timeouts are 30 s.
 */

const PASSWORD = 'ldap-TOPSECRET-pw';
let silent: StuckServer;
let bindOnly: { server: Server; port: number; sockets: Set<Socket> };

/** Answers the first message (the bind) with success and then nothing; enough BER to bind ldapts. */
async function startBindThenSilent() {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let answered = false;
    socket.on('data', (buf: Buffer) => {
      if (answered) return;
      answered = true;
      // LDAPMessage ::= SEQUENCE { messageID INTEGER, ... }: skip the SEQUENCE header, read the INTEGER.
      let i = 1;
      const len = buf[i++] as number;
      if (len & 0x80) i += len & 0x7f;
      assert.equal(buf[i++], 0x02);
      const idLen = buf[i++] as number;
      const id = buf.subarray(i, i + idLen);
      // BindResponse [APPLICATION 1] { resultCode success, matchedDN "", diagnosticMessage "" }
      const op = Buffer.from([0x61, 0x07, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00]);
      const body = Buffer.concat([Buffer.from([0x02, idLen]), id, op]);
      socket.write(Buffer.concat([Buffer.from([0x30, body.length]), body]));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, sockets };
}

before(async () => {
  silent = await startStuckServer('silent');
  bindOnly = await startBindThenSilent();
});
after(async () => {
  await silent.close();
  for (const s of bindOnly.sockets) s.destroy();
  await new Promise((resolve) => bindOnly.server.close(resolve));
});

const deps = () => testDeps({ requestTimeoutMs: 500 });
const connection = (url: string) => ({
  url,
  bindDn: 'cn=gatehouse,dc=example,dc=org',
  bindPassword: PASSWORD,
  timeoutMs: 30_000,
  connectTimeoutMs: 30_000,
});

async function timesOut(what: () => Promise<unknown>, mentions: RegExp) {
  const t0 = performance.now();
  const e = await what().then(
    () => assert.fail('expected a failure'),
    (err: unknown) => err,
  );
  const took = performance.now() - t0;
  assert.ok(isGatehouseError(e), `expected GatehouseError, got ${String(e)}`);
  assert.equal(e.code, 'TIMEOUT', e.message);
  assert.ok(took < 10_000, `took ${took} ms`);
  assert.match(e.message, mentions);
  assert.doesNotMatch(JSON.stringify({ m: e.message, d: e.details }), /TOPSECRET/);
}

function source(url: string) {
  const config = ldapSource.schema.parse({
    type: 'ldap',
    connection: connection(url),
    people: { base: 'ou=people,dc=example,dc=org' },
  });
  return ldapSource.create('dir', config, deps());
}

describe('LDAP against a server that stops answering', () => {
  it('source: a bind that is never answered is TIMEOUT', async () => {
    await timesOut(
      () => source(`ldap://127.0.0.1:${silent.port}`).read(AbortSignal.timeout(60_000)),
      /LDAP ldap:\/\/127\.0\.0\.1:\d+: bind as cn=gatehouse,dc=example,dc=org: no answer within 500 ms/,
    );
  });

  it('source: an ldaps:// handshake that never completes is TIMEOUT', async () => {
    await timesOut(
      () => source(`ldaps://127.0.0.1:${silent.port}`).read(AbortSignal.timeout(60_000)),
      /LDAP ldaps:\/\/127\.0\.0\.1:\d+: connect as .*: no answer within 500 ms/,
    );
  });

  it('source: a search that is never answered after a good bind is TIMEOUT', async () => {
    await timesOut(
      () => source(`ldap://127.0.0.1:${bindOnly.port}`).read(AbortSignal.timeout(60_000)),
      /search base "ou=people,dc=example,dc=org" scope sub: no answer within 500 ms/,
    );
  });

  it('ldap-groups target: observe against a search that is never answered is TIMEOUT', async () => {
    const config = ldapGroupsTarget.schema.parse({
      type: 'ldap-groups',
      connection: connection(`ldap://127.0.0.1:${bindOnly.port}`),
      people: { base: 'ou=people,dc=example,dc=org' },
      mappings: [{ group: 'discord/Staff', ldapGroup: 'cn=staff,ou=groups,dc=example,dc=org' }],
    });
    const target = ldapGroupsTarget.create('dir', config, deps());
    await timesOut(() => target.observe(AbortSignal.timeout(60_000)), /no answer within 500 ms/);
  });
});
