/** The `bbm.*` labels every deployed app carries, so a running app can be traced back to its build (deploy writes them; status and the web console read them). */
export const BUILD_LABELS = {
  project: 'bbm.project',
  buildNumber: 'bbm.build-number',
  branch: 'bbm.branch',
  commit: 'bbm.commit',
  describe: 'bbm.describe',
  buildUrl: 'bbm.build-url',
  image: 'bbm.image',
  /** The environment deployed to (`--environment`). */
  env: 'bbm.environment',
  /** Set by `bbm promote`: the environment the image was promoted from, and its app version there. */
  promotedFrom: 'bbm.promoted-from',
  promotedFromVersion: 'bbm.promoted-from-version',
  /** The Buildbot build (of the promote builder) that promoted it. */
  promotionUrl: 'bbm.promotion-url',
  /** Set by `bbm promote --allow-unverified`: no record says the promoted build ran healthy in the source. */
  promotedUnverified: 'bbm.promoted-unverified',
  /**
   * The app version this one replaced, seen running with every instance healthy and no deployment
   * just before the replacement was sent: bbm's record that a build ran healthy in an environment,
   * which Marathon itself does not keep (src/promote/source-health.ts).
   */
  replacedHealthy: 'bbm.replaced-healthy-version',
} as const;
