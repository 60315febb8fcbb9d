import { AuthError } from '@serverless-auth/client';
import { useAuth } from '@serverless-auth/client/react';
import { useState, type FormEvent } from 'react';
import { ordersApiUrl } from './config';

/** Signed out: sign in or sign up. The sign-up mail links to /verify?token=…, where the password is chosen. */
export function App() {
  const { status } = useAuth();
  const token = new URLSearchParams(window.location.search).get('token');
  if (status === 'loading') return <p>Loading…</p>;
  if (status === 'signed-in') return <Orders />;
  if (window.location.pathname === '/verify' && token) return <ChoosePassword token={token} />;
  return (
    <main>
      <SignIn />
      <SignUp />
    </main>
  );
}

/**
 * A form's submit handler and its outcome line: what the action says, or the API's problem title
 * when it fails (an AuthError).
 */
function useSubmit(action: (form: FormData) => Promise<string | void>) {
  const [message, setMessage] = useState('');
  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    try {
      setMessage((await action(new FormData(event.currentTarget))) ?? '');
    } catch (error) {
      setMessage(error instanceof AuthError ? error.title : 'Something went wrong.');
    }
  }
  return [message, onSubmit] as const;
}

function SignIn() {
  const { login } = useAuth();
  const [message, onSubmit] = useSubmit(async (form) => {
    const result = await login({ email: String(form.get('email')), password: String(form.get('password')) });
    if (result.mfaRequired) return 'This account has two-factor on: sign in on the sign-in pages.';
  });
  return (
    <form onSubmit={onSubmit} aria-label="Sign in">
      <h2>Sign in</h2>
      <label>
        Email <input name="email" type="email" autoComplete="username" data-testid="login-email" required />
      </label>
      <label>
        Password <input name="password" type="password" autoComplete="current-password" data-testid="login-password" required />
      </label>
      <button data-testid="login-submit">Sign in</button>
      <p role="status">{message}</p>
    </form>
  );
}

function SignUp() {
  const { register } = useAuth();
  const [message, onSubmit] = useSubmit(async (form) => {
    await register(String(form.get('email')));
    return 'Check your inbox for the link.';
  });
  return (
    <form onSubmit={onSubmit} aria-label="Sign up">
      <h2>Sign up</h2>
      <label>
        Email <input name="email" type="email" autoComplete="email" data-testid="signup-email" required />
      </label>
      <button data-testid="signup-submit">Email me a link</button>
      <p role="status" data-testid="signup-status">
        {message}
      </p>
    </form>
  );
}

function ChoosePassword({ token }: { token: string }) {
  const { verify } = useAuth();
  const [message, onSubmit] = useSubmit(async (form) => {
    await verify(token, String(form.get('password')));
    window.history.replaceState(null, '', '/');
  });
  return (
    <form onSubmit={onSubmit} aria-label="Choose a password">
      <h2>Choose a password</h2>
      <label>
        Password <input name="password" type="password" autoComplete="new-password" data-testid="verify-password" required />
      </label>
      <button data-testid="verify-submit">Create the account</button>
      <p role="status">{message}</p>
    </form>
  );
}

/** Signed in: the team's own API, called with the service's access token. */
function Orders() {
  const { user, getAccessToken, logout } = useAuth();
  const [orders, setOrders] = useState('');
  async function load() {
    const token = await getAccessToken();
    const response = await fetch(`${ordersApiUrl}/orders`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
    setOrders(response.ok ? JSON.stringify(await response.json()) : `HTTP ${response.status}`);
  }
  return (
    <main>
      <p>
        Signed in as <span data-testid="me">{user?.email ?? '…'}</span>
      </p>
      <button onClick={() => void load()} data-testid="orders-load">
        Load my orders
      </button>
      <pre data-testid="orders">{orders}</pre>
      <button onClick={() => void logout()} data-testid="logout">
        Sign out
      </button>
    </main>
  );
}
