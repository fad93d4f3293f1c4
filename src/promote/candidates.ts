/**
 * What a promote form offers as the source build: the builds known to have run healthy in the
 * source environment (knownGoodBuilds: the one running healthy now, then those bbm's records name),
 * read from an app with its recent versions (the web console's deployments endpoint gives both),
 * newest first. They are what `bbm promote --build N` accepts without --allow-unverified. Pure.
 */
import type { AppInfo } from '../marathon/types.js';
import { knownGoodBuilds, type KnownGoodBuild } from './source-health.js';

/** An app as the deployments endpoint answers it: Marathon's fields plus its recent versions, newest first. */
export type AppWithHistory = AppInfo & { history?: { version: string; image?: string | null; labels?: Record<string, string> }[] };

/** A build the promote form offers; its `build` is the form's `source_build` field (`bbm promote --build`). */
export type PromotionCandidate = KnownGoodBuild;

/** Newest first: the running build when healthy, then the builds recorded as having run healthy; each once. */
export function promotionCandidates(app: AppWithHistory | null | undefined): PromotionCandidate[] {
  return knownGoodBuilds(app, app?.history ?? []);
}
