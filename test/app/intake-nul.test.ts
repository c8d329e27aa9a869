import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { handleAlerts } from '../../src/app/handle-alerts.js';
import { buildHarness, firingAlert } from '../support/harness.js';

describe('alert text with NUL characters', () => {
  it('is stored without them (PostgreSQL refuses NUL in text and would fail the whole delivery)', async () => {
    const h = buildHarness({ postmortemDir: mkdtempSync(join(tmpdir(), 'backstop-nul-')) });
    const base = firingAlert();
    const a = { ...base, summary: 'accuracy\u0000 below 0.85', labels: { ...base.labels, note: 'x\u0000y' } };
    const first = await handleAlerts(h.deps, [a]);
    expect(first).toMatchObject({ received: 1, new: 1, unmatched: 0 });
    await h.settle();
    const [incident] = h.store.incidents.listOpen();
    expect(incident?.title).toBe('accuracy below 0.85');
    // Redelivered as it came, it is the same alert.
    expect(await handleAlerts(h.deps, [a])).toMatchObject({ new: 0, duplicates: 1 });
  });
});
