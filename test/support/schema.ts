/** Marathon's own draft-04 AppDefinition schema (v1.7, from the reference data), for checking what bbm sends. */
import AjvModule from 'ajv-draft-04';
import { sharedJson } from './shared.js';

const Ajv = AjvModule.default;
let validate: ReturnType<InstanceType<typeof Ajv>['compile']> | undefined;

/** Every schema error as `path message`; empty when the definition is valid. Needs components.reference. */
export function appDefinitionErrors(def: unknown): string[] {
  validate ??= new Ajv({ allErrors: true, strict: false, validateFormats: false }).compile(sharedJson('marathon', 'schema', 'AppDefinition.json'));
  if (validate(def)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
}
