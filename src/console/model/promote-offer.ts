/**
 * What a Promote button pre-fills: the environment to promote into and, for the promote form's
 * build field (`source_build`), the builds the source environment offers (promotionCandidates: the
 * one running healthy there now, then recent ones recorded as having run healthy there). The routes come from the
 * deployments endpoint (`promotions`), the source app from the same answer. Pure.
 */
import { promotionCandidates } from '../../promote/candidates.js';
import type { EnvironmentData } from './deployments.js';

export interface PromotionRoute {
  project: string;
  to: string;
  from: string;
  sourceAppId: string | null;
  targetAppId: string | null;
}

export interface Suggestion {
  value: string;
  label: string;
}

export interface PromoteOffer {
  /** The environment to promote into (the form's `environment`), null when the project has no route. */
  to: string | null;
  from: string | null;
  /** For the `source_build` field, newest first. */
  builds: Suggestion[];
}

/**
 * Pressed in `pressedIn` for `project`: promote into that environment when it is a target, else
 * into the first environment it feeds, else the project's first route.
 */
export function promoteOffer(routes: readonly PromotionRoute[], envs: readonly EnvironmentData[], project: string, pressedIn: string): PromoteOffer {
  const mine = routes.filter((r) => r.project === project);
  const route = mine.find((r) => r.to === pressedIn) ?? mine.find((r) => r.from === pressedIn) ?? mine[0];
  if (!route) return { to: null, from: null, builds: [] };
  const source = envs.find((e) => e.name === route.from)?.apps.find((a) => a.id === route.sourceAppId);
  const builds = promotionCandidates(source).map((c) => ({
    value: c.build,
    label: `#${c.build} ${c.running ? `running healthy in ${route.from}` : `ran healthy in ${route.from} (${c.version})`}${c.commit ? ` ${c.commit.slice(0, 10)}` : ''}`,
  }));
  return { to: route.to, from: route.from, builds };
}
