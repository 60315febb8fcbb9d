/** A start-up failure the user can fix (missing Java, busy port, ...): printed as one line, no stack. */
export class LocalStackError extends Error {
  override name = 'LocalStackError';
}
