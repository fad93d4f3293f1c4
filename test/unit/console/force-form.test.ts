import { describe, expect, it } from 'vitest';
import { forceBody, forceOutcome, forceParams, formFields, preset, schedulerFor, type ForceScheduler } from '../../../src/console/model/force-form.js';

/** What /api/v2/forceschedulers says of the generated form (shape of buildbot/schedulers/forcesched.py getSpec). */
const generated: ForceScheduler = {
  name: 'force',
  label: 'Build a branch',
  button_name: 'Build',
  builder_names: ['app', 'web'],
  all_fields: [
    {
      name: '',
      fullName: '',
      type: 'nested',
      fields: [
        { name: 'username', fullName: 'username', label: 'Your name:', type: 'username', default: '' },
        { name: 'reason', fullName: 'reason', label: 'Reason', type: 'text', default: 'forced in the web UI' },
      ],
    },
    {
      name: '',
      fullName: '',
      type: 'nested',
      label: 'Source',
      fields: [
        { name: 'branch', fullName: 'branch', label: 'Branch', type: 'text', default: '' },
        { name: 'revision', fullName: 'revision', label: 'Revision', type: 'text', default: '' },
        { name: 'repository', fullName: 'repository', type: 'fixed', default: '' },
        { name: 'project', fullName: 'project', type: 'fixed', default: '' },
      ],
    },
    { name: 'deploy', fullName: 'deploy', label: 'Deploy', type: 'bool', default: true },
    { name: 'to', fullName: 'to', label: 'Target', type: 'list', choices: ['staging', 'production'], default: 'production' },
    { name: 'tags', fullName: 'tags', label: 'Tags', type: 'list', choices: ['a', 'b'], default: [], multiple: true },
    { name: 'n', fullName: 'n', label: 'N', type: 'int', default: 3 },
    { name: 'notes', fullName: 'notes', label: 'Notes', type: 'textarea', default: null },
    { name: 'odd', fullName: 'odd', label: 'Odd', type: 'somethingnew', default: 'x' },
  ],
};

describe('formFields', () => {
  it('flattens every parameter type the generator emits, in order; username only for anonymous users', () => {
    const fields = formFields(generated, true);
    expect(fields.map((f) => [f.kind, f.name])).toEqual([
      ['text', 'reason'],
      ['text', 'branch'],
      ['text', 'revision'],
      ['fixed', 'repository'],
      ['fixed', 'project'],
      ['bool', 'deploy'],
      ['choice', 'to'],
      ['choice', 'tags'],
      ['int', 'n'],
      ['textarea', 'notes'],
      ['text', 'odd'],
    ]);
    expect(formFields(generated, false)[0]).toMatchObject({ kind: 'text', name: 'username' });
    expect(fields.find((f) => f.name === 'to')).toMatchObject({ value: ['production'], choices: ['staging', 'production'], multiple: false });
    expect(fields.find((f) => f.name === 'notes')).toMatchObject({ value: '' });
  });

  it('turns the values into the params Buildbot’s UI sends (defaults where a field was not touched)', () => {
    const fields = formFields(generated, true);
    const values = new Map<string, string | boolean | string[]>([
      ['branch', 'main'],
      ['revision', 'abc123'],
      ['deploy', false],
      ['to', ['staging']],
      ['tags', ['a', 'b']],
    ]);
    expect(forceParams(7, fields, values)).toEqual({
      builderid: '7',
      reason: 'forced in the web UI',
      branch: 'main',
      revision: 'abc123',
      repository: '',
      project: '',
      deploy: false,
      to: 'staging',
      tags: ['a', 'b'],
      n: '3',
      notes: '',
      odd: 'x',
    });
  });
});

it('forceBody is the JSON-RPC call', () => {
  expect(JSON.parse(forceBody({ builderid: '1' }))).toEqual({ jsonrpc: '2.0', method: 'force', id: 1, params: { builderid: '1' } });
});

describe('forceOutcome', () => {
  it.each([
    [{ id: 1, jsonrpc: '2.0', result: [5, { '1': 9 }] }, 200, { ok: true, buildsetid: 5, buildrequestids: [9] }],
    [{ error: { code: -32603, message: "you need to have role 'admins'" } }, 403, { ok: false, message: "you need to have role 'admins'" }],
    [{ error: 'plain text' }, 400, { ok: false, message: 'plain text' }],
    [null, 502, { ok: false, message: 'the master answered HTTP 502' }],
  ])('%j', (answer, status, outcome) => expect(forceOutcome(answer, status)).toEqual(outcome));
});

it('schedulerFor finds the form that forces a builder', () => {
  expect(schedulerFor([generated], 'web')?.name).toBe('force');
  expect(schedulerFor([generated], 'other')).toBeUndefined();
});

describe('a non-strict choice (the branch list)', () => {
  it('is a text field that suggests the choices, so any branch can still be typed', () => {
    const scheduler: ForceScheduler = {
      name: 'force', builder_names: ['web'],
      all_fields: [{ name: 'branch', fullName: 'branch', label: 'Branch', type: 'list', choices: ['main', 'next'], default: 'main', strict: false }],
    };
    const [branch] = formFields(scheduler, true);
    expect(branch).toEqual({ kind: 'text', name: 'branch', label: 'Branch', value: 'main', required: false, suggestions: [{ value: 'main' }, { value: 'next' }] });
    expect(forceParams(1, [branch!], new Map([['branch', 'feature/x']]))).toEqual({ builderid: '1', branch: 'feature/x' });
    // a strict one stays a closed choice
    const strict = formFields({ ...scheduler, all_fields: [{ ...scheduler.all_fields[0]!, strict: true }] }, true);
    expect(strict[0]).toMatchObject({ kind: 'choice', choices: ['main', 'next'] });
  });
});

describe('promote/rollback forms (hidden codebase, environment choice)', () => {
  const rollback: ForceScheduler = {
    name: 'rollback-web',
    builder_names: ['web-rollback'],
    all_fields: [
      { name: '', fullName: '', type: 'nested', hide: true, fields: [{ name: 'branch', fullName: 'branch', type: 'text', default: '' }, { name: 'revision', fullName: 'revision', type: 'text', default: '' }] },
      { name: 'environment', fullName: 'environment', label: 'Environment', type: 'list', choices: ['staging', 'production'], default: 'production' },
    ],
  };
  it('a hidden codebase sends its defaults and shows nothing', () => {
    expect(formFields(rollback, true).map((f) => [f.kind, f.name])).toEqual([
      ['fixed', 'branch'],
      ['fixed', 'revision'],
      ['choice', 'environment'],
    ]);
  });
  it.each([
    [{ environment: 'staging' }, ['staging']],
    [{ environment: 'nowhere' }, ['production']],
    [{}, ['production']],
  ])('preset %j', (values, chosen) => {
    expect(preset(formFields(rollback, true), values).find((f) => f.name === 'environment')).toMatchObject({ value: chosen });
  });
});
