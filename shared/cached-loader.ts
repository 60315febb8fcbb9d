/**
 * A value loaded from somewhere slow (Secrets Manager) and kept for a bounded time, so a change
 * made there (a rotated key, a client secret set after deploy) reaches warm functions without a
 * redeploy. One mechanism for every secret a function reads.
 */

/** Secrets re-read after this long. */
export const SECRET_CACHE_MS = 5 * 60_000;

export interface CachedLoader<T> {
  get(now?: number): Promise<T>;
  /** How long ago the kept value was loaded; Infinity when none is kept. */
  age(now?: number): number;
  /** Forget the kept value: the next get loads again. */
  reset(): void;
}

export function cachedLoader<T>(load: () => Promise<T>, maxAgeMs: number): CachedLoader<T> {
  let entry: { value: Promise<T>; loadedAt: number } | undefined;
  return {
    get(now = Date.now()): Promise<T> {
      if (!entry || now - entry.loadedAt > maxAgeMs) {
        const value = load();
        entry = { value, loadedAt: now };
        // A failed load must not be cached, or one SM hiccup would poison the warm container.
        value.catch(() => {
          if (entry?.value === value) entry = undefined;
        });
      }
      return entry.value;
    },
    age(now = Date.now()): number {
      return entry ? now - entry.loadedAt : Infinity;
    },
    reset(): void {
      entry = undefined;
    },
  };
}
