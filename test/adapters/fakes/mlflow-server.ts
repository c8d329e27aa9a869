import { HttpFake, type FakeReply, type FakeRequest } from './http-fake.js';

/**
 * The MLflow tracking server's model-registry REST API (`/api/2.0/mlflow`) as it behaves:
 * `{model_version: {...}}` answers, `{error_code, message}` errors (an unset alias is a 400
 * INVALID_PARAMETER_VALUE), aliases that silently overwrite, tags on versions and runs.
 */

export interface FakeVersion {
  version: string;
  status?: 'READY' | 'PENDING_REGISTRATION' | 'FAILED_REGISTRATION';
  run_id?: string;
  source?: string;
  tags?: Record<string, string>;
}

const API = '/api/2.0/mlflow';

function notFound(message: string): FakeReply {
  return [404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message }];
}

export class FakeMlflow {
  readonly versions = new Map<string, Required<Omit<FakeVersion, 'run_id'>> & { run_id?: string }>();
  readonly aliases = new Map<string, string>();
  readonly runs = new Map<string, Record<string, string>>();
  readonly http: HttpFake;
  /** Alias changes that pointed it somewhere new. */
  moves = 0;
  /** Answer for set-tag calls instead of tagging (a permission the token lacks). */
  tagFault: FakeReply | null = null;

  constructor(
    readonly base: string,
    readonly model: string,
  ) {
    this.http = new HttpFake(base, (req) => this.handle(req));
  }

  install(): this {
    this.http.install();
    return this;
  }

  addVersion(v: FakeVersion): this {
    this.versions.set(v.version, {
      version: v.version,
      status: v.status ?? 'READY',
      run_id: v.run_id,
      source: v.source ?? `models:/m-${v.version}`,
      tags: v.tags ?? {},
    });
    return this;
  }

  private modelVersion(version: string): Record<string, unknown> {
    const v = this.versions.get(version);
    if (!v) throw new Error(`no version ${version}`);
    return {
      name: this.model,
      version: v.version,
      creation_timestamp: 1740823200000 + Number(v.version),
      last_updated_timestamp: 1740823200000 + Number(v.version),
      current_stage: 'None',
      description: '',
      source: v.source,
      run_id: v.run_id ?? '',
      status: v.status,
      tags: Object.entries(v.tags).map(([key, value]) => ({ key, value })),
      aliases: [...this.aliases].filter(([, to]) => to === v.version).map(([a]) => a),
    };
  }

  private handle(req: FakeRequest): FakeReply {
    const q = (k: string) => req.query.get(k) ?? '';
    const b = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, string>;
    const route = `${req.method} ${req.path}`;
    const name = req.method === 'GET' ? q('name') : b.name;
    if (route !== `GET ${API}/runs/get` && name !== this.model) return notFound(`Registered Model with name=${name ?? ''} not found`);
    switch (route) {
      case `GET ${API}/registered-models/alias`: {
        const to = this.aliases.get(q('alias'));
        // Real MLflow answers an unset alias with 400 INVALID_PARAMETER_VALUE, not a 404.
        if (to === undefined) return [400, { error_code: 'INVALID_PARAMETER_VALUE', message: `Registered model alias ${q('alias')} not found.` }];
        return [200, { model_version: this.modelVersion(to) }];
      }
      case `GET ${API}/model-versions/get`: {
        if (!this.versions.has(q('version'))) return notFound(`Model Version (name=${this.model}, version=${q('version')}) not found`);
        return [200, { model_version: this.modelVersion(q('version')) }];
      }
      case `POST ${API}/registered-models/alias`: {
        const version = String(b.version);
        if (!this.versions.has(version)) return notFound(`Model Version (name=${this.model}, version=${version}) not found`);
        if (this.aliases.get(b.alias ?? '') !== version) this.moves++;
        this.aliases.set(b.alias ?? '', version);
        return [200, {}];
      }
      case `POST ${API}/model-versions/set-tag`: {
        if (this.tagFault) return this.tagFault;
        const v = this.versions.get(String(b.version));
        if (!v) return notFound(`Model Version (name=${this.model}, version=${String(b.version)}) not found`);
        v.tags[b.key ?? ''] = b.value ?? '';
        return [200, {}];
      }
      case `GET ${API}/runs/get`: {
        const tags = this.runs.get(q('run_id'));
        if (!tags) return notFound(`Run with id=${q('run_id')} not found`);
        return [200, { run: { info: { run_id: q('run_id'), status: 'FINISHED' }, data: { tags: Object.entries(tags).map(([key, value]) => ({ key, value })) } } }];
      }
      default:
        return [404, { error_code: 'ENDPOINT_NOT_FOUND', message: `No API endpoint for ${route}` }];
    }
  }
}
