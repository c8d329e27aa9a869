import { z } from 'zod';

/** `POST /deploys` from CI/CD: which version of a service went out, when, by whom. */
export const deployPayload = z.object({
  service: z.string().min(1).max(60),
  version: z.string().min(1).max(200),
  at: z.iso.datetime({ offset: true, error: 'an RFC 3339 time such as 2026-11-23T08:32:13Z' }).optional(),
  by: z.string().min(1).max(200),
}).strict();
