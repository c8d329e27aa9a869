import type { PagerDutyWebhook } from '../intake/pagerduty.js';
import { normalisePagerDuty } from '../intake/pagerduty.js';
import type { Deps } from './deps.js';
import { handleAlerts, type IntakeSummary } from './handle-alerts.js';

/**
 * A PagerDuty webhook event. Deliveries are at least once: the `X-Webhook-Id` is remembered
 * and a repeat changes nothing.
 */
export async function handlePagerDuty(deps: Deps, body: PagerDutyWebhook, webhookId: string): Promise<Partial<IntakeSummary> & { duplicate?: boolean; ignored?: string }> {
  const fresh = await deps.store.seen.remember(`pagerduty:${webhookId}`, deps.clock.now().toISOString());
  if (!fresh) return { duplicate: true };
  const intake = normalisePagerDuty(body);
  if (intake.kind === 'ignored') return { ignored: intake.reason };
  if (intake.kind === 'acknowledged') {
    const incidentId = (await deps.store.incidents.byPagerDuty(intake.incidentId))?.id;
    if (incidentId) {
      await deps.store.tx((r) => r.audit.append({ at: deps.clock.now().toISOString(), incidentId, proposalId: null, actor: 'pagerduty', action: 'pagerduty.acknowledged', details: { by: intake.by } }));
    }
    return { ignored: incidentId ? undefined : 'acknowledged an incident Backstop does not track' };
  }
  return handleAlerts(deps, [intake.alert]);
}
