import type { CookieJar } from './http';

/** Who signs in at the local OpenID provider's page, and how. */
export interface ProviderPerson {
  email: string;
  /** The "address verified" checkbox; checked unless false. */
  verified?: boolean;
  /** Press Cancel instead of Sign in. */
  cancel?: boolean;
}

/**
 * The browser's part at the local OpenID provider (infra/local/identity-provider.ts): its
 * redirects followed with its cookies, its sign-in page filled in and submitted. Ends at the first
 * redirect to a URL under `returnPrefix` (the relying party's callback), or at a page that is no
 * redirect (form_post's self-posting form); `page` is the sign-in page as the browser got it ('' when
 * the provider did not show it).
 */
export async function throughLocalProvider(
  jar: CookieJar,
  issuer: string,
  authorizationUrl: string,
  person: ProviderPerson,
  returnPrefix: string,
): Promise<{ end: URL | Response; page: string }> {
  const go = async (target: string, init: RequestInit = {}) => {
    const response = await fetch(target, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), Cookie: jar.header() } });
    jar.store(response);
    return response;
  };
  const follow = async (first: Response): Promise<Response | URL> => {
    let response = first;
    for (let hops = 0; hops < 10; hops++) {
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) return response;
      const next = new URL(location, issuer);
      if (next.href.startsWith(returnPrefix)) return next;
      response = await go(next.href);
    }
    throw new Error('too many redirects at the provider');
  };
  const atPage = await follow(await go(authorizationUrl));
  if (atPage instanceof URL) return { end: atPage, page: '' };
  const page = await atPage.text();
  const action = /<form method="post" action="([^"]+)"/.exec(page)?.[1];
  if (!action) throw new Error(`no sign-in form at the provider (status ${atPage.status}): ${page.slice(0, 300)}`);
  const form = new URLSearchParams({ email: person.email });
  if (person.verified !== false) form.set('email_verified', 'true');
  const target = new URL(person.cancel ? action.replace(/\/login$/, '/cancel') : action, issuer).href;
  const end = await follow(await go(target, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: form.toString() }));
  return { end, page };
}
