import type { AdapterConfig } from '../config/policy.js';
import type { Clock } from '../ports/clock.js';
import type { RollbackAdapter } from '../ports/rollback-adapter.js';
import type { Db } from '../store/db.js';
import { HttpWebhookAdapter } from './http-webhook/adapter.js';
import { LocalRegistryAdapter } from './local-registry/adapter.js';
import { LocalRegistry } from './local-registry/registry.js';

export interface AdapterDeps {
  db: Db;
  clock: Clock;
  env: Record<string, string | undefined>;
}

/** Builds the rollback adapter for one service from its policy `adapter:` block. */
export function createAdapter(serviceName: string, config: AdapterConfig, deps: AdapterDeps): RollbackAdapter {
  switch (config.kind) {
    case 'local-registry':
      return new LocalRegistryAdapter(new LocalRegistry(deps.db, deps.clock), { model: config.model, alias: config.alias });
    case 'http-webhook': {
      const secret = deps.env[config.secretEnv];
      if (secret === undefined || secret === '') {
        throw new Error(`service ${serviceName}: environment variable ${config.secretEnv} (the http-webhook HMAC secret) is not set`);
      }
      return new HttpWebhookAdapter(
        { service: serviceName, url: config.url, secret, timeoutMs: config.timeout, versionsUrl: config.versionsUrl },
        deps.clock,
      );
    }
    default: {
      const unknown: never = config;
      throw new Error(`service ${serviceName}: unsupported adapter ${JSON.stringify(unknown)}`);
    }
  }
}
