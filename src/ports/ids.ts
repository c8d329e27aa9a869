/** Id generator, injected so tests get readable, predictable ids. */
export interface Ids {
  next(prefix: string): string;
}
