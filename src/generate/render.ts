/**
 * View-model → master.cfg text through the ejs templates in `templates/`. Templates reach only the
 * explicit `v` local (`strict`, `_with: false`) and print `Py` values built by the view-model.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ejs from 'ejs';
import type { RecipeType } from '../config/types.js';
import { packageRoot } from '../package-root.js';
import type { MasterView } from './view-model.js';
import { pyStr, type Py } from './python.js';

export const TEMPLATES_DIR = path.join(packageRoot(), 'templates');

const compiled = new Map<string, ejs.TemplateFunction>();

function template(name: string): ejs.TemplateFunction {
  let fn = compiled.get(name);
  if (!fn) {
    const file = path.join(TEMPLATES_DIR, name);
    fn = ejs.compile(readFileSync(file, 'utf8'), { strict: true, _with: false, localsName: 'v', filename: file, async: false });
    compiled.set(name, fn);
  }
  return fn;
}

export function renderRecipe(type: RecipeType): string {
  return template(`recipes/${type}.py.ejs`)({}).trimEnd();
}

export function renderMaster(view: MasterView): string {
  const recipeTypes: { key: Py; fn: string }[] = view.recipeTypes.map((r) => ({ key: pyStr(r.type), fn: r.fn }));
  const recipes = view.recipeTypes.map((r) => renderRecipe(r.type));
  const text = template('master.cfg.ejs')({ ...view, recipeTypes, recipes });
  return `${text.trimEnd()}\n`;
}
