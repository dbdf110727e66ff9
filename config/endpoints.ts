/** Everything the gateway forwards lives under this prefix: rate limits and authentication apply here only. */
export const API_SCOPE = '/api';

/** The gateway's own endpoints: outside {@link API_SCOPE}, so never rate-limited and never authenticated. */
export const GATEWAY_ENDPOINTS = {
  health: '/health',
  ready: '/health/ready',
  services: '/health/services',
  info: '/info',
} as const;
