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
} as const;
