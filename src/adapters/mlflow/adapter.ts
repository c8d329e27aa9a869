import { z } from 'zod';
import type { Clock } from '../../ports/clock.js';
import type {
  ExecuteOutcome,
  ExecuteRequest,
  PreflightCheck,
  PreflightResult,
  ReadBack,
  RollbackAdapter,
  RollbackPlan,
  VersionState,
} from '../../ports/rollback-adapter.js';
import type { TargetLedger } from '../ledger.js';
import { hasMoved, targetMoved } from '../target-moved.js';
import { causeOf, clip, isRetryableStatus, parseJson, redactor, safeUrl } from '../support.js';
import { compareSignatures, type SignatureVerdict } from './signature.js';

/**
 * Rolls a model back by moving an MLflow registry alias (`models:/name@alias`) through the
 * REST API. An alias keeps no history, so what it pointed at is kept in Backstop's ledger.
 * Servers that loaded `models:/name@alias` only serve the new version after they reload.
 */

export type MlflowAuth =
  | { type: 'none' }
  | { type: 'bearer'; token: string }
  | { type: 'basic'; username: string; password: string };

export interface MlflowOptions {
  /** Base URL of the tracking server, e.g. `https://mlflow.example.com` (a path prefix is kept). */
  trackingUri: string;
  model: string;
  alias: string;
  auth: MlflowAuth;
  timeoutMs: number;
  /** Offered as last good when the ledger knows no earlier version. */
  fallbackLastGood?: string;
  /** Version tag holding the model's input signature as JSON; the run's logged signature is the fallback. */
  signatureTag: string;
  /** Tag the version Backstop rolls back to with who, why and which proposal. */
  breadcrumbs: boolean;
}

const API = '/api/2.0/mlflow';
const BREADCRUMB_TAG = 'backstop.rollback';
const MAX_TAG_VALUE = 5000;

const tagList = z.array(z.object({ key: z.string(), value: z.string().optional().default('') })).optional().default([]);

const modelVersion = z.object({
  name: z.string().optional(),
  version: z.string(),
  status: z.string().optional(),
  status_message: z.string().optional(),
  run_id: z.string().optional(),
  source: z.string().optional(),
  tags: tagList,
});
type ModelVersion = z.infer<typeof modelVersion>;

const versionAnswer = z.object({ model_version: modelVersion });
const runAnswer = z.object({ run: z.object({ data: z.object({ tags: tagList }).optional() }) });
const errorAnswer = z.object({ error_code: z.string(), message: z.string().optional().default('') });

type CallFailure = { ok: false; retryable: boolean; notFound: boolean; message: string; status?: number; error?: { code: string; message: string } };
type Call<T> = { ok: true; value: T } | CallFailure;

/**
 * MLflow answers an unset alias with 400 INVALID_PARAMETER_VALUE "Registered model alias
 * production not found." rather than a 404: that means "no alias", not a broken request.
 */
function isUnsetAlias(c: CallFailure): boolean {
  return c.status === 400 && c.error?.code === 'INVALID_PARAMETER_VALUE' && /\balias\b.*\bnot found\b/i.test(c.error.message);
}

export class MlflowAdapter implements RollbackAdapter {
  readonly kind = 'mlflow';
  private readonly redact: (text: string) => string;
  private readonly target: string;

  constructor(
    private readonly opts: MlflowOptions,
    private readonly ledger: TargetLedger,
    private readonly clock: Clock,
  ) {
    const auth = opts.auth;
    this.redact = redactor(auth.type === 'bearer' ? [auth.token] : auth.type === 'basic' ? [auth.password] : []);
    this.target = `mlflow:${safeUrl(opts.trackingUri).replace(/\/+$/, '')}/${opts.model}@${opts.alias}`;
  }

  describe(): string {
    return `mlflow model ${this.opts.model} alias ${this.opts.alias} at ${safeUrl(this.opts.trackingUri).replace(/\/+$/, '')}`;
  }

  async versions(): Promise<VersionState> {
    const alias = await this.aliasVersion();
    if (!alias.ok) {
      if (alias.notFound) return { current: null, lastGood: this.fallback(null), deployedAt: null };
      throw new Error(alias.message);
    }
    const current = alias.value.version;
    // The alias has no history of its own: every change Backstop sees becomes one.
    this.ledger.observe(this.target, current);
    const lastGood = this.ledger.lastGood(this.target, current) ?? this.fallback(current);
    // Only a move Backstop made has a known time; an observation is later than the real deploy.
    return { current, lastGood, deployedAt: this.ledger.movedAt(this.target, current) };
  }

  async plan(to: string): Promise<RollbackPlan> {
    const alias = await this.aliasVersion();
    const from = alias.ok ? alias.value.version : null;
    const { model, alias: name } = this.opts;
    const steps = [
      `check ${model} version ${to} exists, is READY and its input signature fits callers of ${from ?? '(unset)'}`,
      `POST ${API}/registered-models/alias {name: ${model}, alias: ${name}, version: ${to}} (was ${from ?? 'unset'})`,
      'record the move in the Backstop ledger',
    ];
    if (this.opts.breadcrumbs) steps.push(`tag ${model} version ${to} with ${BREADCRUMB_TAG} (proposal, approver, reason)`);
    steps.push(`servers that loaded models:/${model}@${name} serve ${to} after their next reload`);
    return { target: this.describe(), from, to, steps };
  }

  async preflight(to: string): Promise<PreflightResult> {
    const checks: PreflightCheck[] = [];
    const target = await this.getVersion(to);
    if (!target.ok) {
      checks.push({ name: 'target version exists', ok: false, detail: target.message });
      return { ok: false, checks };
    }
    checks.push({ name: 'target version exists', ok: true, detail: `${this.opts.model} version ${to} is registered` });
    const status = target.value.status ?? 'unknown';
    checks.push({
      name: 'target version ready',
      ok: status === 'READY',
      detail: status === 'READY' ? 'status READY' : `status ${status}${target.value.status_message ? `: ${target.value.status_message}` : ''}`,
    });
    const alias = await this.aliasVersion();
    if (alias.ok && alias.value.version !== to) {
      const verdict = await this.signatureVerdict(alias.value, target.value);
      checks.push({ name: 'input signature compatible', ok: verdict.compatible, detail: verdict.detail });
    } else {
      checks.push({ name: 'input signature compatible', ok: true, detail: alias.ok ? `alias already at ${to}` : `not compared: ${alias.message}` });
    }
    return { ok: checks.every((c) => c.ok), checks };
  }

  async execute(req: ExecuteRequest): Promise<ExecuteOutcome> {
    const { model, alias: name } = this.opts;
    const prior = this.ledger.byKey(this.target, req.idempotencyKey);
    if (prior) {
      if (prior.version === req.to) {
        return { ok: true, version: req.to, detail: `alias ${name} of ${model} was already moved to ${req.to} for ${req.idempotencyKey}; nothing moved`, alreadyApplied: true };
      }
      return { ok: false, retryable: false, message: `idempotency key ${req.idempotencyKey} was already used to move ${model}@${name} to ${prior.version}` };
    }

    const target = await this.getVersion(req.to);
    if (!target.ok) return { ok: false, retryable: target.retryable, message: `cannot roll ${model}@${name} back to version ${req.to}: ${target.message}` };
    if (target.value.status !== undefined && target.value.status !== 'READY') {
      return { ok: false, retryable: false, message: `${model} version ${req.to} is ${target.value.status}, not READY` };
    }

    // MLflow has no conditional alias update: read it last, right before setting it.
    const alias = await this.aliasVersion();
    if (!alias.ok && !alias.notFound) return { ok: false, retryable: alias.retryable, message: alias.message };
    const from = alias.ok ? alias.value.version : null;
    if (hasMoved(req.expectedFrom, from)) return targetMoved(this.describe(), from, req.expectedFrom);

    if (alias.ok && from !== req.to) {
      const verdict = await this.signatureVerdict(alias.value, target.value);
      if (!verdict.compatible) return { ok: false, retryable: false, message: `refusing ${model} version ${req.to}: ${verdict.detail}` };
    }

    if (from === req.to) {
      // Bind the key anyway, so a retry of this proposal stays a no-op even after later moves.
      this.ledger.record({ target: this.target, version: req.to, actor: req.actor, kind: 'rollback', from, idempotencyKey: req.idempotencyKey });
      return { ok: true, version: req.to, detail: `alias ${name} of ${model} already at ${req.to}; nothing moved`, alreadyApplied: true };
    }

    if (from !== null) this.ledger.observe(this.target, from);
    const moved = await this.call('POST', '/registered-models/alias', { name: model, alias: name, version: req.to });
    if (!moved.ok) return { ok: false, retryable: moved.retryable, message: `setting alias ${name} of ${model} to ${req.to} failed: ${moved.message}` };
    this.ledger.record({ target: this.target, version: req.to, actor: req.actor, kind: 'rollback', from, idempotencyKey: req.idempotencyKey });

    let detail = `moved alias ${name} of ${model} from ${from ?? '(unset)'} to ${req.to}`;
    if (this.opts.breadcrumbs) {
      const note = clip(`${req.idempotencyKey} by ${req.actor} at ${this.clock.now().toISOString()} from ${from ?? 'unset'}: ${req.reason}`, MAX_TAG_VALUE);
      const tagged = await this.call('POST', '/model-versions/set-tag', { name: model, version: req.to, key: BREADCRUMB_TAG, value: note });
      // The alias already moved: a missing breadcrumb is worth saying, not worth failing the rollback.
      if (!tagged.ok) detail += ` (breadcrumb tag not written: ${tagged.message})`;
    }
    return { ok: true, version: req.to, detail, alreadyApplied: false };
  }

  async readBack(to: string): Promise<ReadBack> {
    const alias = await this.aliasVersion();
    if (!alias.ok) return { confirmed: false, version: null, detail: alias.message };
    const version = alias.value.version;
    return { confirmed: version === to, version, detail: `alias ${this.opts.alias} of ${this.opts.model} points at version ${version}` };
  }

  private fallback(current: string | null): string | null {
    const f = this.opts.fallbackLastGood;
    return f !== undefined && f !== current ? f : null;
  }

  private async aliasVersion(): Promise<Call<ModelVersion>> {
    const got = await this.call('GET', '/registered-models/alias', { name: this.opts.model, alias: this.opts.alias });
    if (got.ok) return this.parse(versionAnswer, got.value, 'registered-models/alias');
    return isUnsetAlias(got) ? { ...got, notFound: true } : got;
  }

  private async getVersion(version: string): Promise<Call<ModelVersion>> {
    const got = await this.call('GET', '/model-versions/get', { name: this.opts.model, version });
    return got.ok ? this.parse(versionAnswer, got.value, 'model-versions/get') : got;
  }

  private parse(schema: typeof versionAnswer, body: unknown, what: string): Call<ModelVersion> {
    const parsed = schema.safeParse(body);
    if (parsed.success) return { ok: true, value: parsed.data.model_version };
    return { ok: false, retryable: false, notFound: false, message: `MLflow ${what} answered an unexpected body: ${parsed.error.issues[0]?.message ?? 'invalid'}` };
  }

  private async signatureVerdict(current: ModelVersion, target: ModelVersion): Promise<SignatureVerdict> {
    const [from, to] = await Promise.all([this.signatureOf(current), this.signatureOf(target)]);
    return compareSignatures({ version: current.version, inputs: from }, { version: target.version, inputs: to });
  }

  /** The input schema (`inputs` of an MLflow signature) from the version tag, else from the run's logged model. */
  private async signatureOf(v: ModelVersion): Promise<unknown> {
    const tag = v.tags.find((t) => t.key === this.opts.signatureTag);
    if (tag) return inputsOf(parseJson(tag.value));
    if (!v.run_id) return undefined;
    const run = await this.call('GET', '/runs/get', { run_id: v.run_id });
    if (!run.ok) return undefined;
    const parsed = runAnswer.safeParse(run.value);
    const history = parsed.success ? parsed.data.run.data?.tags.find((t) => t.key === 'mlflow.log-model.history') : undefined;
    if (!history) return undefined;
    const entries = z.array(z.object({ artifact_path: z.string().optional(), signature: z.unknown().optional() })).safeParse(parseJson(history.value));
    if (!entries.success) return undefined;
    const signed = entries.data.filter((e) => e.signature !== undefined);
    // Prefer the logged model the version was registered from (`runs:/<id>/<artifact_path>`).
    const match = signed.find((e) => e.artifact_path !== undefined && v.source?.endsWith(`/${e.artifact_path}`)) ?? signed.at(-1);
    return match ? inputsOf(match.signature) : undefined;
  }

  private async call(method: 'GET' | 'POST', path: string, params: Record<string, string>): Promise<Call<unknown>> {
    const base = this.opts.trackingUri.replace(/\/+$/, '');
    let url = `${base}${API}${path}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    const auth = this.opts.auth;
    if (auth.type === 'bearer') headers.authorization = `Bearer ${auth.token}`;
    if (auth.type === 'basic') headers.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
    let body: string | undefined;
    if (method === 'GET') url += `?${new URLSearchParams(params).toString()}`;
    else {
      body = JSON.stringify(params);
      headers['content-type'] = 'application/json';
    }
    const where = `MLflow ${method} ${path}`;
    const signal = AbortSignal.timeout(this.opts.timeoutMs);
    let status: number;
    let text: string;
    try {
      const res = await fetch(url, { method, headers, body, signal, redirect: 'manual' });
      status = res.status;
      text = await res.text();
    } catch (err) {
      const message = signal.aborted ? `${where} did not answer within ${this.opts.timeoutMs} ms` : `${where} failed: ${causeOf(err)}`;
      return { ok: false, retryable: true, notFound: false, message: this.redact(message) };
    }
    const json = parseJson(text);
    if (status >= 200 && status < 300) return { ok: true, value: json };
    const error = errorAnswer.safeParse(json);
    const said = error.success ? `${error.data.error_code}: ${clip(error.data.message)}` : clip(text);
    return {
      ok: false,
      retryable: isRetryableStatus(status),
      notFound: error.success && error.data.error_code === 'RESOURCE_DOES_NOT_EXIST',
      message: this.redact(`${where} answered ${status}: ${said}`),
      status,
      error: error.success ? { code: error.data.error_code, message: error.data.message } : undefined,
    };
  }
}

/** Accepts a whole MLflow signature (`{inputs: "<json>"}`), its parsed `inputs`, or the JSON text of either. */
function inputsOf(value: unknown): unknown {
  if (typeof value === 'string') return inputsOf(parseJson(value));
  if (Array.isArray(value)) return value;
  if (typeof value === 'object' && value !== null && 'inputs' in value) return inputsOf(value.inputs);
  return undefined;
}
