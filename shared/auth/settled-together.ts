/**
 * Promise.all that lets every write finish before it throws: a Lambda that answers while a write
 * is still in flight may be frozen with it, and the write then lands at some later invocation.
 */
export async function settledTogether<const T extends readonly unknown[]>(work: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const results = await Promise.allSettled(work);
  const failure = results.find((result) => result.status === 'rejected');
  if (failure) throw failure.reason;
  return results.map((result) => (result as PromiseFulfilledResult<unknown>).value) as { -readonly [K in keyof T]: Awaited<T[K]> };
}
