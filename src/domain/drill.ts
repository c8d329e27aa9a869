/** Game-day drills run as services named `drill-<service>`; everything they produce says so. */
export const DRILL_PREFIX = 'drill-';

export function isDrill(service: string | null | undefined): boolean {
  return Boolean(service?.startsWith(DRILL_PREFIX));
}
