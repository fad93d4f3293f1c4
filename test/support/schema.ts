/** Marathon's own draft-04 AppDefinition schema (shared/marathon/schema), for checking what bbm sends. */
import AjvModule from 'ajv-draft-04';
import { sharedJson } from './shared.js';

const Ajv = AjvModule.default;
const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
const validate = ajv.compile(sharedJson('marathon', 'schema', 'AppDefinition.json'));

/** Every schema error as `path message`; empty when the definition is valid. */
export function appDefinitionErrors(def: unknown): string[] {
  if (validate(def)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
}
