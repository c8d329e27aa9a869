import type { AdapterConfig, Policy } from './policy.js';

/** One environment variable the policy needs at run time, and where the policy names it. */
export interface SecretRequirement {
  service: string;
  /** Policy path of the field naming the variable, e.g. `services.scorer.adapter.secretEnv`. */
  path: string;
  env: string;
  what: string;
}

function forAdapter(service: string, at: string, a: AdapterConfig): SecretRequirement[] {
  const need = (field: string, env: string, what: string): SecretRequirement => ({ service, path: `${at}.${field}`, env, what });
  switch (a.kind) {
    case 'http-webhook':
      return [need('secretEnv', a.secretEnv, 'the http-webhook HMAC secret')];
    case 'mlflow':
      if (!a.auth) return [];
      return a.auth.type === 'bearer'
        ? [need('auth.tokenEnv', a.auth.tokenEnv, 'the MLflow token')]
        : [need('auth.usernameEnv', a.auth.usernameEnv, 'the MLflow user'), need('auth.passwordEnv', a.auth.passwordEnv, 'the MLflow password')];
    case 'gitops':
      return a.auth ? [need('auth.tokenEnv', a.auth.tokenEnv, 'the git token')] : [];
    default:
      return [];
  }
}

/** Every secret the policy's adapters read from the environment. */
export function secretRequirements(policy: Policy): SecretRequirement[] {
  return Object.entries(policy.services).flatMap(([name, svc]) => [
    ...(svc.adapter ? forAdapter(name, `services.${name}.adapter`, svc.adapter) : []),
    ...(svc.adapters ?? []).flatMap((a, i) => forAdapter(name, `services.${name}.adapters.${i}`, a)),
  ]);
}

/** The requirements whose variable is unset or empty, each as a line naming the service, field and variable. */
export function missingSecrets(policy: Policy, env: Record<string, string | undefined>): { path: string; message: string }[] {
  return secretRequirements(policy)
    .filter((r) => env[r.env] === undefined || env[r.env] === '')
    .map((r) => ({ path: r.path, message: `service ${r.service}: environment variable ${r.env} (${r.what}) is not set` }));
}
