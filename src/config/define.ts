import type { CiConfig } from './types.js';

/** Types a `ci.config.ts` (`export default defineConfig({…})`); returns its argument unchanged. */
export function defineConfig(config: CiConfig): CiConfig {
  return config;
}
