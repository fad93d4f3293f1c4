/** Builders and their last builds, and the promote/rollback builders found by their names. */
export interface Builder {
  builderid: number;
  name: string;
  description?: string | null;
  tags: string[];
  masterids: number[];
}

export interface Build {
  buildid: number;
  builderid: number;
  number: number;
  complete: boolean;
  results: number | null;
  state_string: string;
  started_at: number | null;
  complete_at: number | null;
  buildrequestid?: number;
  properties?: Record<string, [unknown, string]>;
}

/** The newest build per builder (by buildid), from a list in any order. */
export function lastBuilds(builds: readonly Build[]): Map<number, Build> {
  const out = new Map<number, Build>();
  for (const b of builds) {
    const seen = out.get(b.builderid);
    if (!seen || b.buildid > seen.buildid) out.set(b.builderid, b);
  }
  return out;
}

/** Configured builders (removed ones stay in the API with no master), by name. */
export function activeBuilders(builders: readonly Builder[]): Builder[] {
  return builders.filter((b) => b.masterids.length > 0).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export type Action = 'promote' | 'rollback';

/**
 * The generated promote/rollback builder of a project, by its name `<project>-<action>` (configured:
 * it has a master). Names, not tags: builder tags are the config's choice (`projects[].tags`), and the
 * generator refuses a project named like another project's promote or rollback builder.
 */
export function actionBuilder(builders: readonly Builder[], action: Action, project: string): Builder | undefined {
  const name = `${project}-${action}`;
  return builders.find((b) => b.masterids.length > 0 && b.name === name);
}
