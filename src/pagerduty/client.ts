import { api } from '@pagerduty/pdjs';
import { z } from 'zod';
import type { OnCallRef, OnCallUser, Pager, PagerResult } from '../ports/pager.js';

const oncalls = z.object({
  oncalls: z.array(z.object({
    user: z.object({ id: z.string(), email: z.string().optional(), summary: z.string().optional(), name: z.string().optional() }),
  })),
  more: z.boolean().optional(),
});

/**
 * PagerDuty REST API through @pagerduty/pdjs. Notes and status changes need a `From` header
 * naming a valid PagerDuty user's e-mail. Non-2xx answers resolve (pdjs does not reject).
 */
export class PagerDutyClient implements Pager {
  private readonly pd;

  constructor(private readonly opts: { token: string; from: string; server?: string }) {
    this.pd = api({ token: opts.token, server: opts.server ?? 'api.pagerduty.com' });
  }

  async onCall(ref: OnCallRef): Promise<OnCallUser[]> {
    const res = await this.pd.get('/oncalls', {
      data: { 'schedule_ids[]': [...ref.schedules], 'escalation_policy_ids[]': [...ref.escalationPolicies], 'include[]': ['users'], limit: 100 },
    });
    if (!res.ok) throw new Error(`PagerDuty /oncalls answered ${res.status}: ${errorMessage(res.data)}`);
    const parsed = oncalls.parse(res.data);
    const seen = new Map<string, OnCallUser>();
    for (const o of parsed.oncalls) {
      if (o.user.email) seen.set(o.user.id, { id: o.user.id, email: o.user.email.toLowerCase(), name: o.user.name ?? o.user.summary ?? o.user.id });
    }
    return [...seen.values()];
  }

  async addNote(incidentId: string, content: string): Promise<PagerResult> {
    return this.call(() => this.pd.post(`/incidents/${encodeURIComponent(incidentId)}/notes`, { data: { note: { content } }, headers: { From: this.opts.from } }));
  }

  async resolveIncident(incidentId: string): Promise<PagerResult> {
    return this.call(() => this.pd.put(`/incidents/${encodeURIComponent(incidentId)}`, { data: { incident: { type: 'incident_reference', status: 'resolved' } }, headers: { From: this.opts.from } }));
  }

  private async call(fn: () => Promise<{ ok: boolean; status: number; data: unknown }>): Promise<PagerResult> {
    try {
      const res = await fn();
      if (res.ok) return { ok: true };
      return { ok: false, retryable: res.status === 429 || res.status >= 500, message: `PagerDuty answered ${res.status}: ${errorMessage(res.data)}` };
    } catch (err) {
      return { ok: false, retryable: true, message: `PagerDuty unreachable: ${err instanceof Error ? err.message : String(err)}` };
    }
  }
}

function errorMessage(data: unknown): string {
  const e = (data as { error?: { message?: string; errors?: string[] } } | undefined)?.error;
  return e ? [e.message, ...(e.errors ?? [])].filter(Boolean).join('; ') : 'no error body';
}
