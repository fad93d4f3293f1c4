import { describe, expect, it } from 'vitest';
import { sseFrame } from '../../../src/devcluster/events.js';
import { canonicalId, idProblems, safeAppId } from '../../../src/devcluster/ids.js';
import { endpointsText } from '../../../src/devcluster/tasks-text.js';
import { sharedJson, sharedText } from '../../support/shared.js';
import { components, describeWith } from '../../support/integration.js';

/** Suites that check against Marathon's reference data (schema, recorded bodies): skipped with a message without it, failing in CI. */
const withReference = await describeWith([components.reference]);

describe('text/plain /v2/tasks', () => {
  it.each([
    [[{ id: '/foo', servicePorts: [80], tasks: [{ host: 'agent1', ports: [1010] }, { host: 'agent1', ports: [1020] }] }], 'foo\t80\tagent1:1010\tagent1:1020\t\n'],
    [[{ id: '/a/b', servicePorts: [], tasks: [{ host: 'h1', ports: [] }, { host: 'h2', ports: [] }] }], 'a_b\t \th1\th2\t\n'],
    [[{ id: '/idle', servicePorts: [10001], tasks: [] }], 'idle\t10001\t\n'],
  ])('%j', (apps, expected) => {
    expect(endpointsText(apps)).toBe(expected);
  });
});

describe('SSE frames', () => {
  it('keeps hostile values on one data line', () => {
    const frame = sseFrame({ eventType: 'x', timestamp: 't', message: 'a\r\nevent: fake\r\n\r\ndata: {}' });
    expect(frame.split('\r\n')).toHaveLength(4);
  });
});

withReference('text/plain /v2/tasks and SSE frames against the recorded examples', () => {
  it('matches the recorded bytes for the recorded tasks', () => {
    const { tasks } = sharedJson<{ tasks: { appId: string; host: string; ports: number[]; servicePorts: number[] }[] }>('marathon', 'examples', 'get-tasks-response.json');
    const apps = tasks.map((t) => ({ id: t.appId, servicePorts: t.servicePorts, tasks: [{ host: t.host, ports: t.ports }] }));
    expect(endpointsText(apps)).toBe(sharedText('marathon', 'examples', 'get-tasks-response.text-plain.txt'));
  });

  it('matches the constructed per-app example (two service ports, two tasks)', () => {
    const app = sharedJson<{ app: { id: string; tasks: { host: string; ports: number[] }[]; container: { portMappings: { servicePort: number }[] } } }>(
      'marathon', 'examples', 'get-app-response.v1.10-shape.constructed.json',
    ).app;
    const text = endpointsText([{ id: app.id, servicePorts: app.container.portMappings.map((m) => m.servicePort), tasks: app.tasks }]);
    expect(text).toBe(sharedText('marathon', 'examples', 'get-app-tasks-response.text-plain.constructed.txt'));
  });

  it('are byte-identical to the constructed wire example', () => {
    const wire = sharedText('marathon', 'examples', 'events-stream.wire.constructed.txt');
    const frames = wire.split('\r\n\r\n').filter((f) => f.trim() !== '');
    expect(frames.length).toBeGreaterThan(3);
    for (const f of frames) {
      const data = /^data: (.*)$/m.exec(f)![1]!;
      expect(sseFrame(JSON.parse(data))).toBe(`${f.replace(/^\r\n/, '')}\r\n\r\n`);
    }
  });
});

describe('app ids', () => {
  it.each([
    ['webapp', []],
    ['/prod/web-1', []],
    ['a.b', []],
    ['webApp', ["must fully match regular expression '^(([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])\\.)*([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])|(\\.|\\.\\.)$'"]],
    ['-web', ["must fully match regular expression '^(([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])\\.)*([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])|(\\.|\\.\\.)$'"]],
    ['/x/restart', ['must not end with any of the following reserved words: restart, tasks, versions, ., ..']],
    ['/', ['Path must contain at least one path element']],
  ])('%s', (id, problems) => {
    expect(idProblems(id)).toEqual(problems);
  });
  it.each([
    ['web', '/web'],
    ['/a/b/', '/a/b'],
    ['a/./b/../c', '/a/c'],
  ])('canonical %s → %s', (raw, id) => expect(canonicalId(raw)).toBe(id));
  it('safe id', () => expect(safeAppId('/tools/docker/registry')).toBe('tools_docker_registry'));
});

describe('text/plain negotiation', async () => {
  const { wantsText } = await import('../../../src/devcluster/server.js');
  it.each([
    ['text/plain', true],
    ['text/*', true],
    ['text/plain, */*', false],
    ['application/json, text/plain', false],
    ['*/*', false],
    [undefined, false],
    ['text/plain;q=0.9', true],
  ])('%s → %s', (accept, text) => expect(wantsText(accept)).toBe(text));
});
