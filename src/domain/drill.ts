/** Game-day drills run as services named `drill-<service>`; everything they produce says so. */
export const DRILL_PREFIX = 'drill-';

/** Leads every message a drill produces, ephemerals included, so nobody mistakes it for an incident. */
export const DRILL_MARK = '🧪 DRILL · ';

export function isDrill(service: string | null | undefined): boolean {
  return Boolean(service?.startsWith(DRILL_PREFIX));
}
