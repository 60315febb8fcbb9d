import { counterAccepted } from '../../shared/auth/passkeys';
import type { ChallengeRecord, PasskeyRecord, PasskeyUse } from '../../shared/stores';

/**
 * In-memory challenge and passkey stores for unit tests of the passkey rules, keeping the
 * properties that matter: a challenge is deleted once, and a use is recorded only while the
 * counter rule holds.
 */
export function memoryPasskeyStores() {
  const challenges = new Map<string, ChallengeRecord>();
  const passkeys = new Map<string, PasskeyRecord>();
  return {
    challenges,
    passkeys,
    challengeStore: {
      create: async (c: ChallengeRecord) => void challenges.set(c.hash, c),
      consume: async (hash: string, now: number) => {
        const found = challenges.get(hash);
        if (!found || found.expiresAt <= now) return undefined;
        challenges.delete(hash);
        return found;
      },
    },
    passkeyStore: {
      get: async (userId: string, id: string) => (passkeys.get(id)?.userId === userId ? passkeys.get(id) : undefined),
      listOfUser: async (userId: string) => [...passkeys.values()].filter((p) => p.userId === userId),
      create: async (p: PasskeyRecord) => (passkeys.has(p.id) ? false : (passkeys.set(p.id, p), true)),
      recordUse: async ({ userId, credentialId, counter }: PasskeyUse) => {
        const stored = passkeys.get(credentialId);
        if (stored?.userId !== userId || !counterAccepted(stored.counter, counter)) return false;
        passkeys.set(credentialId, { ...stored, counter });
        return true;
      },
    },
  };
}
