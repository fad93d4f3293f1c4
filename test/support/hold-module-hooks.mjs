// Module hooks (they run on a loader thread) for hold-module.mjs.
import { writeSync } from 'node:fs';

export async function load(url, context, next) {
  const held = process.env.BBM_TEST_HOLD_MODULE;
  if (held && url.endsWith(held)) {
    writeSync(2, `holding ${url}\n`);
    setInterval(() => {}, 1 << 30); // keeps the loader thread alive while it holds
    return new Promise(() => {});
  }
  return next(url, context);
}
