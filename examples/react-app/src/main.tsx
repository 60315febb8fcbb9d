import { createAuthClient } from '@serverless-auth/client';
import { AuthProvider } from '@serverless-auth/client/react';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { authApiUrl, ordersApiUrl } from './config';

// One client for the app: the auth service, and the team's API that accepts its access tokens.
const auth = createAuthClient({ baseUrl: authApiUrl, apiOrigins: [ordersApiUrl] });

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <AuthProvider client={auth}>
      <App />
    </AuthProvider>
  </StrictMode>,
);
