// Preloaded with `node --import` by tests: the ES module whose file: URL ends with
// BBM_TEST_HOLD_MODULE never finishes loading, as when it is read from a disk that hangs; the
// process says `holding <url>` on stderr when it gets there. Everything else loads as usual.
import { register } from 'node:module';

register('./hold-module-hooks.mjs', import.meta.url);
