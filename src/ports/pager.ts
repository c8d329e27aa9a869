/** The paging system (PagerDuty): who is on call, and notes on its incidents. */
export interface OnCallRef {
  schedules: readonly string[];
  escalationPolicies: readonly string[];
}

export interface OnCallUser {
  id: string;
  email: string;
  name: string;
}

export type PagerResult = { ok: true } | { ok: false; retryable: boolean; message: string };

export interface Pager {
  onCall(ref: OnCallRef): Promise<OnCallUser[]>;
  addNote(incidentId: string, content: string): Promise<PagerResult>;
  resolveIncident(incidentId: string): Promise<PagerResult>;
}
