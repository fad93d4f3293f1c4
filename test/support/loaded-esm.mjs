// Preloaded with `node --import` by tests: every ES module the process loads (its file: URL, one a
// line) is appended to the file named by BBM_TEST_LOADED_ESM. loaded-modules.cjs sees only CommonJS.
import { register } from 'node:module';

register('./loaded-esm-hooks.mjs', import.meta.url);
