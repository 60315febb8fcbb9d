/** Set by vite.config.js from AUTH_API_URL and ORDERS_API_URL at build time. */
declare const __AUTH_API_URL__: string;
declare const __ORDERS_API_URL__: string;

export const authApiUrl = __AUTH_API_URL__;
export const ordersApiUrl = __ORDERS_API_URL__;
