import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { isDeepStrictEqual } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { assertNoViolations, closeServer, readBody } from '../http-fake.ts';
import { managedFields, recordUpdate, serverSideApply, isPlainObject, type Owner } from './fields.ts';
import { KINDS, SCALE_KIND, STATUS_KIND, apiVersionOf, kindByName, kindByPath, type KindInfo } from './kinds.ts';
import { parseLabelSelector } from './selector.ts';
import { makeFakeCa, type FakeCa } from './tls.ts';
import { validateList, validateObject } from './validate.ts';

type Json = Record<string, unknown>;

/** Requests served, by verb. `apply` is a server-side apply PATCH; `approve` a CSR approval. */
export interface KubeRequestCounts {
  discovery: number;
  list: number;
  get: number;
  create: number;
  apply: number;
  update: number;
  delete: number;
  approve: number;
  denied: number;
}

interface Stored {
  object: Json;
  owners: Map<string, Owner>;
}

interface Caller {
  readonly user: string;
  readonly admin: boolean;
}

interface Cause {
  reason: string;
  message: string;
  field: string;
}

class HttpError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly causes: readonly Cause[] | undefined;
  constructor(code: number, reason: string, message: string, causes?: readonly Cause[]) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.causes = causes;
  }
}

const zeroCounts = (): KubeRequestCounts => ({
  discovery: 0,
  list: 0,
  get: 0,
  create: 0,
  apply: 0,
  update: 0,
  delete: 0,
  approve: 0,
  denied: 0,
});

/**
 * A Kubernetes API server for tests, served over HTTPS on 127.0.0.1 and driven by the real `@kubernetes/client-node`.
 *
 * - Every object it receives or returns is validated against the Kubernetes API schemas (see {@link validateObject});
 *   a violation is recorded (the test fails through {@link KubeFake.assertNoViolations}) and an invalid request is
 *   answered 422, as a strict server does.
 * - Lists across all namespaces or in one, with label selectors and `limit` / `continue` pagination.
 * - Server-side apply with field ownership and conflicts ({@link serverSideApply}); merge patches and PUTs record
 *   their manager as an `Update` owner, the way `kubectl edit` does.
 * - Namespaces are created `Active`; deleting one makes it `Terminating` until {@link KubeFake.finishTerminating}
 *   removes it and its contents. Objects cannot be created in a terminating namespace (403).
 * - CertificateSigningRequests: create, approve (`PUT …/approval`), and issue through a throwaway CA for the signer
 *   `kubernetes.io/kube-apiserver-client`; the server trusts that CA for client certificates, so a kubeconfig with an
 *   issued certificate authenticates as the certificate's CN (see SelfSubjectReview).
 * - Authentication: the admin bearer token, or a client certificate of its CA. A non-admin user may only read
 *   namespaced objects in namespaces where a RoleBinding names it (enough to see access granted and revoked).
 * - Request counters per verb.
 */
export class KubeFake {
  readonly violations: string[] = [];
  counts: KubeRequestCounts = zeroCounts();
  /** Issue approved CSRs on its own shortly after approval, as the signing controller does. */
  autoIssue = true;
  /** Consulted for timestamps (creation, deletion). */
  now: () => Date = () => new Date();
  readonly #objects = new Map<string, Map<string, Stored>>(KINDS.map((k) => [k.kind, new Map()]));
  #rv = 100;
  #url = '';
  #server: Server | undefined;

  readonly ca: FakeCa;
  readonly adminToken: string;

  constructor(ca: FakeCa, adminToken: string) {
    this.ca = ca;
    this.adminToken = adminToken;
  }

  get url(): string {
    return this.#url;
  }

  /** Every request served. */
  get requests(): number {
    return (Object.values(this.counts) as number[]).reduce((a, b) => a + b, 0);
  }

  /** Requests that changed something. */
  get writes(): number {
    const c = this.counts;
    return c.create + c.apply + c.update + c.delete + c.approve;
  }

  resetCounts(): void {
    this.counts = zeroCounts();
  }

  assertNoViolations(): void {
    assertNoViolations('Kubernetes fake', this.violations, 20);
  }

  async listen(): Promise<void> {
    this.#server = createServer(
      {
        cert: this.ca.serverCertPem,
        key: this.ca.serverKeyPem,
        ca: this.ca.caPem,
        requestCert: true,
        rejectUnauthorized: false,
      },
      (req, res) => {
        this.#handle(req, res).catch((e: unknown) => {
          this.violations.push(`fake crashed on ${req.method} ${req.url}: ${(e as Error).stack}`);
          if (!res.headersSent) res.writeHead(500).end();
        });
      },
    );
    await new Promise<void>((resolve, reject) => {
      this.#server!.once('error', reject);
      this.#server!.listen(0, '127.0.0.1', () => resolve());
    });
    this.#url = `https://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    await closeServer(this.#server);
    await this.ca.close();
  }

  // ---- direct access for tests (validated like requests) ----

  /** The stored object, with managedFields, or undefined. */
  get(kind: string, namespace: string | undefined, name: string): Json | undefined {
    const s = this.#objects.get(kind)?.get(key(namespace, name));
    return s ? this.#render(kindByName(kind), s) : undefined;
  }

  /** Every stored object of a kind, sorted by namespace/name. */
  all(kind: string): Json[] {
    const info = kindByName(kind);
    return [...this.#store(info)].sort(byKey).map(([, s]) => this.#render(info, s));
  }

  /** Creates or replaces an object as `manager` with an Update operation (like `kubectl create` / `kubectl edit`). */
  put(object: Json, manager = 'kubectl'): Json {
    const info = kindByName(String(object.kind));
    const md = object.metadata as Json;
    return this.#update(info, md.namespace as string | undefined, md.name as string, object, manager);
  }

  /** Server-side applies `object` as `manager`, as a PATCH would (validated, conflicts thrown as errors). */
  applyAs(manager: string, object: Json, force = false): Json {
    const info = kindByName(String(object.kind));
    const md = object.metadata as Json;
    try {
      return this.#apply(info, md.namespace as string | undefined, md.name as string, object, manager, force).body;
    } catch (e) {
      throw e instanceof HttpError ? new Error(`${e.code} ${e.message}`) : e;
    }
  }

  /** Edits an object as `manager` (an Update, as `kubectl edit` does). */
  edit(kind: string, namespace: string | undefined, name: string, mutate: (o: Json) => void, manager = 'kubectl-edit') {
    const info = kindByName(kind);
    const s = this.#store(info).get(key(namespace, name));
    if (!s) throw new Error(`no ${kind} ${namespace}/${name}`);
    const next = structuredClone(s.object);
    mutate(next);
    return this.#update(info, namespace, name, next, manager);
  }

  /** Deletes an object as a DELETE request would (a namespace turns Terminating). */
  delete(kind: string, namespace: string | undefined, name: string): void {
    this.#delete(kindByName(kind), namespace, name);
  }

  /** Removes namespaces in Terminating and everything in them, as the namespace controller eventually does. */
  finishTerminating(): string[] {
    const done: string[] = [];
    for (const [k, s] of this.#store(kindByName('Namespace'))) {
      if ((s.object.status as Json | undefined)?.phase !== 'Terminating') continue;
      const ns = (s.object.metadata as Json).name as string;
      for (const info of KINDS.filter((x) => x.namespaced)) {
        for (const ok of [...this.#store(info).keys()]) if (ok.startsWith(`${ns}/`)) this.#store(info).delete(ok);
      }
      this.#store(kindByName('Namespace')).delete(k);
      done.push(ns);
    }
    return done.sort();
  }

  // ---- HTTP ----

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://fake.invalid');
    const body = await readBody(req, 16 << 20);
    try {
      const caller = this.#authenticate(req);
      const out = this.#route(caller, req.method ?? 'GET', url, req.headers['content-type'] ?? '', body);
      this.#send(res, out.status ?? 200, out.body);
    } catch (e) {
      if (!(e instanceof HttpError)) throw e;
      if (e.code === 401 || e.code === 403) this.counts.denied++;
      const status: Json = {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: e.message,
        reason: e.reason,
        code: e.code,
        ...(e.causes ? { details: { causes: e.causes } } : {}),
      };
      this.#check(STATUS_KIND, status, 'response');
      this.#send(res, e.code, status);
    }
  }

  #send(res: ServerResponse, status: number, body: unknown): void {
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }

  #authenticate(req: IncomingMessage): Caller {
    const auth = req.headers.authorization;
    if (auth !== undefined) {
      if (auth === `Bearer ${this.adminToken}`) return { user: 'admin', admin: true };
      throw new HttpError(401, 'Unauthorized', 'Unauthorized');
    }
    const socket = req.socket as TLSSocket;
    const cert = socket.getPeerCertificate();
    if (socket.authorized && cert?.subject?.CN) return { user: String(cert.subject.CN), admin: false };
    throw new HttpError(401, 'Unauthorized', 'Unauthorized');
  }

  #route(
    caller: Caller,
    method: string,
    url: URL,
    contentType: string,
    body: string,
  ): { status?: number; body: unknown } {
    const seg = url.pathname.split('/').filter(Boolean);
    let group: string;
    let version: string;
    let rest: string[];
    if (seg[0] === 'api' && seg[1]) [group, version, rest] = ['', seg[1], seg.slice(2)];
    else if (seg[0] === 'apis' && seg[1] && seg[2]) [group, version, rest] = [seg[1], seg[2], seg.slice(3)];
    else throw new HttpError(404, 'NotFound', `no route ${url.pathname}`);
    if (rest.length === 0 && method === 'GET') {
      this.counts.discovery++;
      return { body: discovery(group, version) };
    }
    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const [plural, name, sub] = rest as [string, string | undefined, string | undefined];
    const info = kindByPath(group, version, plural);
    if (!info || (info.namespaced === false && namespace !== undefined)) {
      throw new HttpError(404, 'NotFound', `the server could not find the requested resource (${url.pathname})`);
    }
    this.#authorize(caller, method, info, namespace);
    if (name === undefined) {
      if (method === 'GET') return { body: this.#list(info, namespace, url.searchParams) };
      if (method === 'POST') return { status: 201, body: this.#create(caller, info, namespace, parseBody(body)) };
    } else if (sub === undefined) {
      if (method === 'GET') return { body: this.#get(info, namespace, name) };
      if (method === 'PATCH') return this.#patch(info, namespace, name, contentType, body, url.searchParams);
      if (method === 'PUT') {
        this.counts.update++;
        const obj = parseBody(body);
        this.#check(info, obj, 'request');
        return { body: this.#update(info, namespace, name, obj, url.searchParams.get('fieldManager') ?? 'unknown') };
      }
      if (method === 'DELETE') return { body: this.#delete(info, namespace, name) };
    } else if (sub === 'scale' && (info.kind === 'Deployment' || info.kind === 'StatefulSet')) {
      if (method === 'GET') {
        this.counts.get++;
        return { body: this.#scale(info, namespace, name) };
      }
      if (method === 'PATCH' && contentType.startsWith('application/merge-patch+json')) {
        this.counts.update++;
        const replicas = (parseBody(body).spec as Json | undefined)?.replicas;
        if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
          throw new HttpError(422, 'Invalid', 'spec.replicas must be a non-negative integer');
        }
        const s = this.#store(info).get(key(namespace, name));
        if (!s) throw notFound(info, name);
        const next = structuredClone(s.object);
        (next.spec as Json).replicas = replicas;
        this.#update(info, namespace, name, next, url.searchParams.get('fieldManager') ?? 'unknown');
        return { body: this.#scale(info, namespace, name) };
      }
    } else if (sub === 'approval' && info.kind === 'CertificateSigningRequest' && method === 'PUT') {
      return { body: this.#approve(name, parseBody(body)) };
    }
    throw new HttpError(405, 'MethodNotAllowed', `${method} ${url.pathname} is not served`);
  }

  #authorize(caller: Caller, method: string, info: KindInfo, namespace: string | undefined): void {
    if (caller.admin) return;
    if (info.kind === 'SelfSubjectReview' && method === 'POST') return;
    if (method === 'GET' && namespace !== undefined && info.namespaced) {
      const bound = [...this.#store(kindByName('RoleBinding'))].some(
        ([k, s]) =>
          k.startsWith(`${namespace}/`) &&
          ((s.object.subjects as Json[] | undefined) ?? []).some((x) => x.kind === 'User' && x.name === caller.user),
      );
      if (bound) return;
    }
    throw new HttpError(
      403,
      'Forbidden',
      `User "${caller.user}" cannot ${method.toLowerCase()} ${info.plural}${namespace ? ` in the namespace "${namespace}"` : ''}`,
    );
  }

  #list(info: KindInfo, namespace: string | undefined, q: URLSearchParams): Json {
    this.counts.list++;
    const selectorText = q.get('labelSelector') ?? '';
    const selector = parseLabelSelector(selectorText);
    if (!selector) throw new HttpError(400, 'BadRequest', `unable to parse requirement: ${selectorText}`);
    const limit = Number(q.get('limit') ?? '0');
    let after = '';
    const token = q.get('continue');
    if (token) {
      try {
        after = (JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after: string }).after;
      } catch {
        throw new HttpError(400, 'BadRequest', 'invalid continue token');
      }
    }
    const entries = [...this.#store(info)]
      .filter(([k]) => namespace === undefined || k.startsWith(`${namespace}/`))
      .filter(([k]) => k > after)
      .filter(([, s]) => selector(((s.object.metadata as Json).labels as Record<string, string>) ?? {}))
      .sort(byKey);
    const page = limit > 0 ? entries.slice(0, limit) : entries;
    const more = page.length < entries.length;
    const metadata: Json = { resourceVersion: String(this.#rv) };
    if (more) {
      metadata.continue = Buffer.from(JSON.stringify({ after: page[page.length - 1]![0] })).toString('base64url');
      metadata.remainingItemCount = entries.length - page.length;
    }
    const list = {
      apiVersion: apiVersionOf(info),
      kind: `${info.kind}List`,
      metadata,
      items: page.map(([, s]) => this.#render(info, s)),
    };
    for (const v of validateList(info, list)) this.violations.push(`response list ${info.plural}: ${v}`);
    return list;
  }

  #get(info: KindInfo, namespace: string | undefined, name: string): Json {
    this.counts.get++;
    const s = this.#store(info).get(key(namespace, name));
    if (!s) throw notFound(info, name);
    return this.#checked(info, this.#render(info, s));
  }

  #create(caller: Caller, info: KindInfo, namespace: string | undefined, obj: Json): Json {
    this.counts.create++;
    this.#check(info, obj, 'request');
    if (info.kind === 'SelfSubjectReview') {
      return this.#checked(info, {
        ...obj,
        status: { userInfo: { username: caller.user, groups: ['system:authenticated'] } },
      });
    }
    const md = (obj.metadata ?? {}) as Json;
    const name = typeof md.name === 'string' ? md.name : '';
    if (this.#store(info).has(key(namespace, name))) {
      throw new HttpError(409, 'AlreadyExists', `${info.plural} "${name}" already exists`);
    }
    this.#assertNamespaceWritable(info, namespace);
    const owners = new Map<string, Owner>();
    const s: Stored = { object: structuredClone(obj), owners };
    recordUpdate({}, s.object, owners, 'unknown');
    this.#stamp(info, s.object, namespace, undefined, name);
    if (info.kind === 'CertificateSigningRequest') s.object.status = {};
    this.#store(info).set(key(namespace, name), s);
    return this.#checked(info, this.#render(info, s));
  }

  #patch(
    info: KindInfo,
    namespace: string | undefined,
    name: string,
    contentType: string,
    body: string,
    q: URLSearchParams,
  ) {
    const existing = this.#store(info).get(key(namespace, name));
    const manager = q.get('fieldManager');
    if (contentType.startsWith('application/apply-patch+yaml')) {
      this.counts.apply++;
      if (!manager) throw new HttpError(422, 'Invalid', 'fieldManager is required for apply requests');
      return this.#apply(info, namespace, name, parseBody(body), manager, q.get('force') === 'true');
    }
    if (contentType.startsWith('application/merge-patch+json')) {
      this.counts.update++;
      if (!existing) throw notFound(info, name);
      const next = mergePatch(structuredClone(existing.object), parseBody(body));
      return { body: this.#update(info, namespace, name, next, manager ?? 'unknown') };
    }
    throw new HttpError(415, 'UnsupportedMediaType', `unsupported patch type ${contentType}`);
  }

  #apply(
    info: KindInfo,
    namespace: string | undefined,
    name: string,
    config: Json,
    manager: string,
    force: boolean,
  ): { status: number; body: Json } {
    const existing = this.#store(info).get(key(namespace, name));
    this.#check(info, config, 'request');
    const md = (config.metadata ?? {}) as Json;
    if (md.name !== name) throw new HttpError(400, 'BadRequest', 'the name of the object does not match the URL');
    if (info.namespaced && md.namespace !== undefined && md.namespace !== namespace) {
      throw new HttpError(400, 'BadRequest', 'the namespace of the object does not match the URL');
    }
    if (!existing) this.#assertNamespaceWritable(info, namespace);
    const owners = copyOwners(existing?.owners);
    const { object, conflicts } = serverSideApply(existing?.object, owners, stripIdentity(config), manager, force);
    if (conflicts.length > 0 && !force) {
      const causes = conflicts.map((c) => ({
        reason: 'FieldManagerConflict',
        message: `conflict with "${c.manager}"`,
        field: `.${c.field.join('.')}`,
      }));
      throw new HttpError(
        409,
        'Conflict',
        `Apply failed with ${causes.length} conflict(s): ${causes.map((c) => `${c.message}: ${c.field}`).join(', ')}`,
        causes,
      );
    }
    assertImmutable(info, existing?.object, object);
    const s: Stored = { object, owners };
    this.#stamp(info, s.object, namespace, existing?.object, name);
    this.#store(info).set(key(namespace, name), s);
    return { status: existing ? 200 : 201, body: this.#checked(info, this.#render(info, s)) };
  }

  #update(info: KindInfo, namespace: string | undefined, name: string, obj: Json, manager: string): Json {
    const s = this.#store(info).get(key(namespace, name));
    const before = s?.object ?? {};
    const next = structuredClone(obj);
    delete (next.metadata as Json).managedFields;
    if (!s) this.#assertNamespaceWritable(info, namespace);
    assertImmutable(info, s?.object, next);
    const owners = copyOwners(s?.owners);
    recordUpdate(before, next, owners, manager);
    this.#stamp(info, next, namespace, s?.object, name);
    const stored: Stored = { object: next, owners };
    this.#store(info).set(key(namespace, name), stored);
    return this.#checked(info, this.#render(info, stored));
  }

  #delete(info: KindInfo, namespace: string | undefined, name: string): Json {
    this.counts.delete++;
    const s = this.#store(info).get(key(namespace, name));
    if (!s) throw notFound(info, name);
    if (info.kind === 'Namespace') {
      (s.object.metadata as Json).deletionTimestamp ??= this.now()
        .toISOString()
        .replace(/\.\d+Z$/, 'Z');
      s.object.status = { phase: 'Terminating' };
      return this.#checked(info, this.#render(info, s));
    }
    this.#store(info).delete(key(namespace, name));
    const status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name, kind: info.plural },
    };
    this.#check(STATUS_KIND, status, 'response');
    return status;
  }

  #approve(name: string, body: Json): Json {
    this.counts.approve++;
    const info = kindByName('CertificateSigningRequest');
    this.#check(info, body, 'request');
    const s = this.#store(info).get(key(undefined, name));
    if (!s) throw notFound(info, name);
    const conditions = ((body.status as Json | undefined)?.conditions as Json[] | undefined) ?? [];
    const now = this.now()
      .toISOString()
      .replace(/\.\d+Z$/, 'Z');
    s.object.status = {
      ...(s.object.status as Json),
      conditions: conditions.map((c) => ({ ...c, lastUpdateTime: now, lastTransitionTime: now })),
    };
    this.#rv++;
    (s.object.metadata as Json).resourceVersion = String(this.#rv);
    if (this.autoIssue) {
      setImmediate(() => {
        this.issueApproved().catch((e: unknown) => this.violations.push(`issuing failed: ${(e as Error).message}`));
      });
    }
    return this.#checked(info, this.#render(info, s));
  }

  /**
   * Issues certificates for approved CSRs of the signer `kubernetes.io/kube-apiserver-client` (what the signing
   * controller does in a cluster, asynchronously): validity is `expirationSeconds` rounded up to whole days, since the
   * openssl of the test CA counts days. Returns the names issued.
   */
  async issueApproved(): Promise<string[]> {
    const info = kindByName('CertificateSigningRequest');
    const issued: string[] = [];
    for (const [k, s] of this.#store(info)) {
      const status = (s.object.status ?? {}) as Json;
      const spec = s.object.spec as Json;
      const approved = ((status.conditions as Json[] | undefined) ?? []).some(
        (c) => c.type === 'Approved' && c.status === 'True',
      );
      if (!approved || status.certificate || spec.signerName !== 'kubernetes.io/kube-apiserver-client') continue;
      const csrPem = Buffer.from(String(spec.request), 'base64').toString('utf8');
      const subject = await this.ca.csrSubject(csrPem);
      if (!/^CN=[^,]+/.test(subject)) {
        this.violations.push(`CSR ${k} has no CN in its subject (${subject})`);
        continue;
      }
      const days = Math.max(1, Math.ceil(Number(spec.expirationSeconds ?? 86_400) / 86_400));
      const cert = await this.ca.signClient(csrPem, days);
      s.object.status = { ...status, certificate: Buffer.from(cert).toString('base64') };
      this.#rv++;
      (s.object.metadata as Json).resourceVersion = String(this.#rv);
      issued.push(k.slice(1));
    }
    return issued;
  }

  #scale(info: KindInfo, namespace: string | undefined, name: string): Json {
    const s = this.#store(info).get(key(namespace, name));
    if (!s) throw notFound(info, name);
    const md = s.object.metadata as Json;
    const scale = {
      apiVersion: 'autoscaling/v1',
      kind: 'Scale',
      metadata: { name, namespace, resourceVersion: md.resourceVersion, uid: md.uid },
      spec: { replicas: (s.object.spec as Json).replicas ?? 1 },
      status: { replicas: (s.object.spec as Json).replicas ?? 1 },
    };
    return this.#checked(SCALE_KIND, scale);
  }

  #assertNamespaceWritable(info: KindInfo, namespace: string | undefined): void {
    if (!info.namespaced) return;
    const ns = this.#store(kindByName('Namespace')).get(key(undefined, namespace ?? ''));
    if (!ns) throw new HttpError(404, 'NotFound', `namespaces "${namespace}" not found`);
    if ((ns.object.status as Json | undefined)?.phase === 'Terminating') {
      throw new HttpError(
        403,
        'Forbidden',
        `unable to create new content in namespace ${namespace} because it is being terminated`,
      );
    }
  }

  /** Server-set metadata: uid, resourceVersion, creationTimestamp; namespaces get their name label and phase. */
  #stamp(info: KindInfo, obj: Json, namespace: string | undefined, before: Json | undefined, name: string): void {
    obj.apiVersion = apiVersionOf(info);
    obj.kind = info.kind;
    const md = (obj.metadata ??= {}) as Json;
    const old = (before?.metadata ?? {}) as Json;
    md.name = name;
    if (info.namespaced) md.namespace = namespace;
    md.uid = old.uid ?? randomUUID();
    md.creationTimestamp =
      old.creationTimestamp ??
      this.now()
        .toISOString()
        .replace(/\.\d+Z$/, 'Z');
    if (old.deletionTimestamp) md.deletionTimestamp = old.deletionTimestamp;
    md.resourceVersion = String(++this.#rv);
    if (info.kind === 'Namespace') {
      md.labels = { ...(md.labels as Json | undefined), 'kubernetes.io/metadata.name': md.name };
      obj.spec = { finalizers: ['kubernetes'] };
      obj.status = before?.status ?? { phase: 'Active' };
    }
  }

  #render(info: KindInfo, s: Stored): Json {
    const md = s.object.metadata as Json;
    const out = structuredClone(s.object);
    const time = String(md.creationTimestamp);
    (out.metadata as Json).managedFields = managedFields(s.owners, apiVersionOf(info), time);
    return out;
  }

  #checked(info: KindInfo, obj: Json): Json {
    this.#check(info, obj, 'response');
    return obj;
  }

  #check(info: KindInfo, obj: Json, what: 'request' | 'response'): void {
    const errors = validateObject(info, obj);
    if (errors.length === 0) return;
    for (const e of errors) this.violations.push(`${what} ${info.kind}: ${e}`);
    if (what === 'request') throw new HttpError(422, 'Invalid', `${info.kind} is invalid: ${errors.join('; ')}`);
  }

  #store(info: KindInfo): Map<string, Stored> {
    return this.#objects.get(info.kind)!;
  }
}

/** Starts a fake with a fresh CA; `close()` stops it and removes the CA's files. */
export async function startKubeFake(options: { adminToken?: string } = {}): Promise<KubeFake> {
  const ca = await makeFakeCa();
  const fake = new KubeFake(ca, options.adminToken ?? 'fake-admin-token-6b1d');
  await fake.listen();
  return fake;
}

/** Fields the API server refuses to change once set (RoleBinding.roleRef: delete and recreate instead). */
function assertImmutable(info: KindInfo, before: Json | undefined, after: Json): void {
  if (info.kind === 'RoleBinding' && before && !isDeepStrictEqual(before.roleRef, after.roleRef)) {
    throw new HttpError(
      422,
      'Invalid',
      `RoleBinding.rbac.authorization.k8s.io is invalid: roleRef: Invalid value: cannot change roleRef`,
    );
  }
}

function copyOwners(owners: Map<string, Owner> | undefined): Map<string, Owner> {
  return new Map([...(owners ?? [])].map(([m, o]) => [m, { operation: o.operation, fields: new Set(o.fields) }]));
}

function discovery(group: string, version: string): Json {
  const resources = KINDS.filter((k) => k.group === group && k.version === version).map((k) => ({
    name: k.plural,
    singularName: k.kind.toLowerCase(),
    namespaced: k.namespaced,
    kind: k.kind,
    verbs: [...k.verbs],
  }));
  if (resources.length === 0) throw new HttpError(404, 'NotFound', `no group version ${group}/${version}`);
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group === '' ? version : `${group}/${version}`,
    resources,
  };
}

function key(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

function byKey(a: [string, unknown], b: [string, unknown]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

function notFound(info: KindInfo, name: string): HttpError {
  return new HttpError(404, 'NotFound', `${info.plural} "${name}" not found`);
}

function parseBody(body: string): Json {
  let v: unknown;
  try {
    v = body.trimStart().startsWith('{') ? JSON.parse(body) : parseYaml(body);
  } catch {
    throw new HttpError(400, 'BadRequest', 'body is not JSON or YAML');
  }
  if (!isPlainObject(v)) throw new HttpError(400, 'BadRequest', 'body is not an object');
  return v;
}

function stripIdentity(config: Json): Json {
  const out = structuredClone(config);
  const md = { ...((out.metadata ?? {}) as Json) };
  out.metadata = {
    name: md.name,
    ...(md.labels ? { labels: md.labels } : {}),
    ...(md.annotations ? { annotations: md.annotations } : {}),
  };
  return out;
}

function mergePatch(target: Json, patch: Json): Json {
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete target[k];
    else if (isPlainObject(v) && isPlainObject(target[k])) target[k] = mergePatch(target[k], v);
    else target[k] = structuredClone(v);
  }
  return target;
}

/** A `@kubernetes/client-node` KubeConfig for the fake: admin token, or a client certificate and key (PEM). */
export function fakeKubeConfigYaml(
  fake: KubeFake,
  auth: { token: string } | { certPem: string; keyPem: string },
): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const user =
    'token' in auth
      ? { token: auth.token }
      : { 'client-certificate-data': b64(auth.certPem), 'client-key-data': b64(auth.keyPem) };
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'fake', cluster: { server: fake.url, 'certificate-authority-data': b64(fake.ca.caPem) } }],
    users: [{ name: 'u', user }],
    contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'u' } }],
    'current-context': 'fake',
  });
}
