import { describe, expect, it } from 'vitest';
import { ts } from 'ts-morph';
import { pathSegments, tsLineOf } from '../../src/config/locate.js';

const TEXT = `import { defineConfig } from 'buildbot-marathon';

const envs = {
  staging: { url: 'http://s:1' },
};
export default defineConfig({
  registry: 'r',
  environments: envs,
  projects: [
    { name: 'a', repo: 'x' },
    {
      name: 'b',
      deploy: {
        environments: {
          production: { promoteFrom: 'staging', labels: { 'bbm.image': 'x' } },
        },
      },
    },
  ],
});
`;

describe('config problem paths → lines', () => {
  it.each<[string, number]>([
    ['projects[1].deploy.environments.production.promoteFrom', 15],
    ['projects[1].deploy.environments.production.labels.bbm.image', 15],
    ['projects[1].deploy', 13],
    ['projects[0].name', 10],
    ['environments.staging.url', 4], // through the identifier to its declaration
    ['projects[1].deploy.environments.qa', 14], // not written: its nearest written parent
    ['registry', 7],
  ])('%s is on line %i', (path, line) => {
    expect(tsLineOf(ts, TEXT, 'ci.config.ts')(path)).toBe(line);
  });

  it('splits paths into keys and indexes', () => {
    expect(pathSegments('projects[10].deploy.environments.prod-eu')).toEqual(['projects', 10, 'deploy', 'environments', 'prod-eu']);
  });
});
