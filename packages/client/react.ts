import { createContext, createElement, useContext, useEffect, useMemo, useSyncExternalStore, type ReactElement, type ReactNode } from 'react';
import type { AuthClient, AuthState } from '../../web/client';

/**
 * React bindings of the browser client (`@serverless-auth/client/react`): one provider holding
 * the app's client, one hook reading its state snapshot. No JSX, so the package needs no build
 * step of the app's and works with any React 18 or 19.
 */

const AuthContext = createContext<AuthClient | null>(null);

export interface AuthProviderProps {
  /** The app's one client: createAuthClient({ baseUrl, apiOrigins }), made once outside the component tree. */
  client: AuthClient;
  /**
   * On mount: `restore()` (one refresh if this browser may have a session), then `me()` to learn
   * the user. Default true; false when the app restores itself.
   */
  restore?: boolean;
  children?: ReactNode;
}

export function AuthProvider({ client, restore = true, children }: AuthProviderProps): ReactElement {
  useEffect(() => {
    if (!restore) return;
    // Failures show in the state (signed-out) and reach the app through the client's events.
    void client
      .restore()
      .then((signedIn) => (signedIn && client.getState().user === null ? client.me() : undefined))
      .catch(() => undefined);
  }, [client, restore]);
  return createElement(AuthContext.Provider, { value: client }, children);
}

/** What a component needs: the state, the sign-in methods and the token, all from the provider's client. */
export interface UseAuth extends AuthState {
  client: AuthClient;
  getAccessToken: AuthClient['getAccessToken'];
  /** `fetch` with the Bearer token for the service and the `apiOrigins` (see AuthClient.fetch). */
  fetch: AuthClient['fetch'];
  register: AuthClient['register'];
  verify: AuthClient['verify'];
  login: AuthClient['login'];
  verifyMfa: AuthClient['verifyMfa'];
  signInWithPasskey: AuthClient['signInWithPasskey'];
  requestEmailSignIn: AuthClient['requestEmailSignIn'];
  completeEmailSignIn: AuthClient['completeEmailSignIn'];
  logout: AuthClient['logout'];
}

/** The auth state of the nearest AuthProvider; re-renders the component when it changes. */
export function useAuth(): UseAuth {
  const client = useContext(AuthContext);
  if (client === null) throw new Error('useAuth() needs an <AuthProvider client={...}> above it');
  const state = useSyncExternalStore(client.subscribe, client.getState, client.getState);
  const methods = useMemo(
    () => ({
      client,
      getAccessToken: client.getAccessToken,
      fetch: client.fetch,
      register: client.register,
      verify: client.verify,
      login: client.login,
      verifyMfa: client.verifyMfa,
      signInWithPasskey: client.signInWithPasskey,
      requestEmailSignIn: client.requestEmailSignIn,
      completeEmailSignIn: client.completeEmailSignIn,
      logout: client.logout,
    }),
    [client],
  );
  return { ...state, ...methods };
}
