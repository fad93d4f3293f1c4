// Module hooks (they run on a loader thread) for loaded-esm.mjs.
import { appendFileSync } from 'node:fs';

export async function load(url, context, next) {
  if (process.env.BBM_TEST_LOADED_ESM) appendFileSync(process.env.BBM_TEST_LOADED_ESM, `${url}\n`);
  return next(url, context);
}
