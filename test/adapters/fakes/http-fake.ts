import nock from 'nock';

/**
 * Serves a stateful fake of a target's REST API through nock, so the adapter's real HTTP
 * code (fetch or node:https) runs unchanged. Faults make the next requests time out or
 * answer an error the way the real target would.
 */

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: unknown;
}

export type FakeReply = [status: number, body: unknown];

export type Fault = { kind: 'timeout'; ms: number } | { kind: 'answer'; status: number; body: unknown };

export class HttpFake {
  readonly requests: FakeRequest[] = [];
  /** Applied to every request until cleared. */
  fault: Fault | null = null;

  constructor(
    readonly base: string,
    private readonly handler: (req: FakeRequest) => FakeReply,
  ) {}

  install(): this {
    const scope = nock(this.base).persist();
    // nock calls reply functions with its own `this`; the fake's state is reached through this alias.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const fake = this;
    for (const method of ['GET', 'POST', 'PATCH', 'PUT', 'DELETE']) {
      scope
        .intercept(() => true, method)
        .query(true)
        .reply(async function reply(this: nock.ReplyFnContext, uri: string, body: nock.Body): Promise<nock.ReplyFnResult> {
          return fake.answer(method, uri, this.req.headers, body);
        });
    }
    return this;
  }

  private async answer(method: string, uri: string, headers: Record<string, string>, body: nock.Body): Promise<nock.ReplyFnResult> {
    const url = new URL(uri, this.base);
    let parsed: unknown = body;
    if (typeof body === 'string' && body !== '') {
      try {
        parsed = JSON.parse(body);
      } catch {
        parsed = body;
      }
    }
    const req: FakeRequest = { method, path: url.pathname, query: url.searchParams, headers, body: parsed === '' ? undefined : parsed };
    this.requests.push(req);
    const fault = this.fault;
    if (fault?.kind === 'timeout') {
      await new Promise((r) => setTimeout(r, fault.ms));
      return [504, { message: 'too late' }];
    }
    if (fault?.kind === 'answer') return [fault.status, fault.body as nock.Body, { 'content-type': 'application/json' }];
    const [status, out] = this.handler(req);
    return [status, out as nock.Body, { 'content-type': 'application/json' }];
  }
}
