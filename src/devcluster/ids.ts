/**
 * Marathon path ids for the engine: the rules live in src/marathon/app-id.ts (one home, shared
 * with `bbm deploy` and the config); the engine uses Marathon's wording of them.
 */
export { canonicalId, idProblems, ID_REGEX_TEXT, RAML_PATH_ID, safeAppId } from '../marathon/app-id.js';
