// Preloaded with `node --require` by tests: at exit, writes the CommonJS modules the process loaded
// (one path per line) to the file named by BBM_TEST_LOADED_MODULES. ts-morph, ejs, dockerode,
// undici and simple-git are all CommonJS, so an import of any of them from ESM lands here too.
const { writeFileSync } = require('node:fs');
process.on('exit', () => {
  const out = process.env.BBM_TEST_LOADED_MODULES;
  if (out) writeFileSync(out, Object.keys(require.cache).join('\n'));
});
