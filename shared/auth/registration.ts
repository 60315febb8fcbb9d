import type { AuthContext } from './context';

export const REGISTRATION_ACCEPTED = 'Check your inbox: a mail with a link to finish signing up is on its way.';

/**
 * Sign-up, step one: one mail intent, written with a single PutItem, nothing read. Every address
 * gets the same reply after the same work, so neither the reply nor its timing says whether the
 * address has an account. The mailer decides what the mail says and applies the limits (per
 * mailbox, per source address, global), so the source address travels with the intent.
 */
export async function register(ctx: AuthContext, input: { email: string }, sourceIp: string | undefined): Promise<void> {
  await ctx.outbox.enqueue({ kind: 'signup', email: input.email, ...(sourceIp ? { sourceIp } : {}) });
}
