import { defineConfig } from 'vite';

/**
 * Where the auth service and the team's own API live, baked in at build time:
 * AUTH_API_URL=https://auth.acme-corp.io ORDERS_API_URL=https://api.acme-corp.io npm run build
 * (defaults: `npm start` of serverless-auth on port 3000, an orders API on 3100).
 */
export default defineConfig({
  define: {
    __AUTH_API_URL__: JSON.stringify(process.env.AUTH_API_URL ?? 'http://localhost:3000'),
    __ORDERS_API_URL__: JSON.stringify(process.env.ORDERS_API_URL ?? 'http://localhost:3100'),
  },
  esbuild: { jsx: 'automatic' },
});
