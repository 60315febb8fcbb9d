import { ApiError } from '../errors';
import { recordSecurityEvent } from '../observability';
import type { AuthContext } from './context';
import { eventNow } from './events';
import { checkedReturnTo, providerOf, startFlow, type StartedFlow } from './federation';
import { signInMethodCount } from './last-method';
import { providerDisplayName } from './federation-rules';
import type { SessionClient } from './session-client';
import { stepUp, type StepUpInput } from './step-up';

/**
 * What a signed-in owner does with identities after step-up: start a link, unlink. Apart from
 * federation.ts so the sign-in functions carry no step-up code (nor its TOTP and WebAuthn libraries).
 */

/**
 * POST /auth/oauth/{provider}/link: after step-up, a flow that links the identity the provider
 * returns to the caller's account. One identity per provider and account (409 otherwise).
 */
export async function startLink(ctx: AuthContext, caller: { userId: string; sessionId: string }, providerId: string | undefined, input: StepUpInput & { returnTo?: string }): Promise<StartedFlow> {
  const provider = providerOf(ctx, providerId);
  const returnTo = checkedReturnTo(input.returnTo);
  const user = await stepUp(ctx, caller, input);
  if ((await ctx.identities.listOfUser(user.id)).some((identity) => identity.provider === provider.id)) throw new ApiError('identity_already_linked');
  return startFlow(ctx, provider, { returnTo, intent: 'link', userId: user.id });
}

const UNLINK_TRIES = 3;

/**
 * DELETE /auth/identities/{id}: after step-up, never the account's last way to sign in. The
 * unlink commits only on the identities version it judged, so two unlinks racing cannot both
 * pass the check; a refused one judges again.
 */
export async function unlinkIdentity(ctx: AuthContext, caller: { userId: string; sessionId: string }, identityId: string, input: StepUpInput, client: SessionClient = {}): Promise<void> {
  let user = await stepUp(ctx, caller, input);
  for (let attempt = 1; attempt <= UNLINK_TRIES; attempt++) {
    const [identities, passkeys] = await Promise.all([ctx.identities.listOfUser(user.id), ctx.passkeys.listOfUser(user.id)]);
    const identity = identities.find((i) => i.id === identityId);
    if (!identity) throw new ApiError('not_found');
    if (signInMethodCount(user, passkeys.length, identities.length) <= 1) throw new ApiError('last_sign_in_method');
    const provider = ctx.config.IDENTITY_PROVIDERS.find((p) => p.id === identity.provider);
    const providerName = provider ? providerDisplayName(provider) : identity.provider;
    const event = eventNow(ctx, user.id, 'identity_unlinked', { ...client, provider: identity.provider });
    if (await ctx.identities.unlink(identity, user.identitiesVersion ?? 0, { kind: 'identity_unlinked', email: user.email, providerName }, event, ctx.now())) {
      recordSecurityEvent('IdentityUnlinked', { userId: user.id });
      return;
    }
    const fresh = await ctx.users.findById(user.id);
    if (!fresh) throw new ApiError('unauthorized');
    user = fresh;
  }
  throw new ApiError('service_unavailable', { retryAfterSeconds: 1 });
}
