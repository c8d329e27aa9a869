/** Polls `check` until it gives something truthy (that value is returned) or `timeoutMs` passes. */
export async function until<T>(check: () => Promise<T | undefined | false | null>, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const v = await check().catch(() => undefined);
    if (v) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
