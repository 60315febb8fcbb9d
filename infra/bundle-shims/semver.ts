/**
 * Stands in for semver in the Lambda bundles (infra/bundling.ts). Its only user there is
 * jsonwebtoken, which asks three feature questions of process.version at import:
 * '>=15.7.0', '^6.12.0 || >=8.0.0' and '>=16.9.0'. The functions run on Node 24, where every
 * answer is yes. Any other question (a jsonwebtoken upgrade) fails at cold start instead of
 * getting a guessed answer.
 */
const ANSWERED_RANGES = new Set(['>=15.7.0', '^6.12.0 || >=8.0.0', '>=16.9.0']);
const OLDEST_MAJOR_ANSWERED = 17;

export function satisfies(version: string, range: string): boolean {
  const major = Number(/^v?(\d+)\./.exec(version)?.[1]);
  if (!ANSWERED_RANGES.has(range) || !(major >= OLDEST_MAJOR_ANSWERED)) {
    throw new Error(`The bundled semver stand-in cannot answer satisfies(${version}, ${range}): see infra/bundle-shims/semver.ts`);
  }
  return true;
}

export default { satisfies };
