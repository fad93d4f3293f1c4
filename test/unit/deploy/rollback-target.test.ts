import { describe, expect, it } from 'vitest';
import { rollbackCandidates, versionFacts, type VersionFacts } from '../../../src/deploy/rollback-target.js';

/** `b1@5` = build 1's image stored at minute 5; `x@3` = a version without bbm labels. */
function parse(spec: string): VersionFacts {
  const [name, at] = spec.split('@') as [string, string];
  const version = new Date(Date.UTC(2026, 0, 1, 0, Number(at))).toISOString();
  if (name === 'x') return versionFacts(version, {});
  // `sameN`: build N of one shared image (a rebuild that produced the same reference)
  if (name.startsWith('same')) return versionFacts(version, { 'bbm.image': 'reg/web:shared', 'bbm.build-number': name.slice(4) });
  return versionFacts(version, { 'bbm.image': `reg/web:${name}`, 'bbm.build-number': name.slice(1) });
}
const history = (specs: string) => specs.split(' ').map(parse).sort((a, b) => a.version.localeCompare(b.version));

// Marathon's version list, and why timestamps alone mislead (mesosphere/marathon v1.10.26):
// core/group/impl/GroupManagerImpl.scala stores a 409-refused PUT's version; a cancel-rollback is
// versioned with a fresh timestamp (1.5–1.8) or the master's start-up time (state/Group.scala,
// 1.9.71+); upgrade/GroupVersioningUtil.scala makes a version for a scale without a config change.
describe('rollbackCandidates', () => {
  it.each<[string, string, string, string[]]>([
    ['the build before a good deploy', 'b1@1 b2@2', 'b2@2', ['1']],
    ['1, 2, failing 3 rolled back with a fresh version → 1', 'b1@1 b2@2 b3@3 b2@4', 'b2@4', ['1']],
    ['1, 2, failing 3 rolled back with the start-up time → 1', 'b2@0 b1@1 b2@2 b3@3', 'b2@0', ['1']],
    ['a 409-refused build 3 stored after 2 is not a target, nor in the walk', 'b1@1 b2@2 b3@3', 'b2@2', ['1']],
    ['a scale of build 2 (same image) is not a build', 'b1@1 b2@2 b2@3', 'b2@3', ['1']],
    ['unlabelled versions are skipped', 'b1@1 x@2 b2@3', 'b2@3', ['1']],
    ['a build someone rolled back is skipped further back too', 'b1@1 b2@2 b1@3 b3@4', 'b3@4', ['1']],
    ['older builds follow, each image once', 'b1@1 b2@2 b3@3 b4@4', 'b4@4', ['3', '2', '1']],
    ['nothing earlier', 'b1@1', 'b1@1', []],
    ['two builds of one image are two builds', 'same1@1 same2@2', 'same2@2', ['1']],
    ['an app running something without labels: every labelled build, newest first', 'b1@1 b2@2 x@3', 'x@3', ['2', '1']],
  ])('%s', (_name, specs, current, expected) => {
    expect(rollbackCandidates(history(specs), parse(current)).map((v) => v.buildNumber)).toEqual(expected);
  });
});
