import { describe, expect, it } from 'vitest';
import { createAdapter } from '../../src/adapters/factory.js';
import { HttpWebhookAdapter } from '../../src/adapters/http-webhook/adapter.js';
import { LocalRegistryAdapter } from '../../src/adapters/local-registry/adapter.js';
import { adapterSchema } from '../../src/config/policy.js';
import { openDb } from '../../src/store/db.js';
import { FakeClock } from '../support/fake-clock.js';

const deps = (env: Record<string, string | undefined> = {}) => ({ db: openDb(':memory:'), clock: new FakeClock(), env });

describe('createAdapter', () => {
  it('builds a local-registry adapter for the configured model and alias', () => {
    const config = adapterSchema.parse({ kind: 'local-registry', model: 'fraud-scorer' });
    const adapter = createAdapter('fraud-scorer', config, deps());
    expect(adapter).toBeInstanceOf(LocalRegistryAdapter);
    expect(adapter.describe()).toBe('local-registry model fraud-scorer alias production');
  });

  it('builds an http-webhook adapter with the secret from the named env var', () => {
    const config = adapterSchema.parse({ kind: 'http-webhook', url: 'https://deploy.example.com/rollback', secretEnv: 'FRAUD_WEBHOOK_SECRET' });
    const adapter = createAdapter('fraud-scorer', config, deps({ FRAUD_WEBHOOK_SECRET: 's3cret' }));
    expect(adapter).toBeInstanceOf(HttpWebhookAdapter);
    expect(adapter.kind).toBe('http-webhook');
    expect(adapter.describe()).toBe('http-webhook service fraud-scorer at https://deploy.example.com/rollback');
  });

  it.each([undefined, ''])('names the missing env var when the webhook secret is %j', (value) => {
    const config = adapterSchema.parse({ kind: 'http-webhook', url: 'https://deploy.example.com/rollback', secretEnv: 'FRAUD_WEBHOOK_SECRET' });
    expect(() => createAdapter('fraud-scorer', config, deps({ FRAUD_WEBHOOK_SECRET: value }))).toThrow(
      /service fraud-scorer: environment variable FRAUD_WEBHOOK_SECRET .* is not set/,
    );
  });
});
