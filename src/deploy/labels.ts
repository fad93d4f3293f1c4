/** The `bbm.*` labels every deployed app carries, so a running app can be traced back to its build (deploy writes them; status and the web console read them). */
export const BUILD_LABELS = {
  project: 'bbm.project',
  buildNumber: 'bbm.build-number',
  branch: 'bbm.branch',
  commit: 'bbm.commit',
  describe: 'bbm.describe',
  buildUrl: 'bbm.build-url',
  image: 'bbm.image',
} as const;
