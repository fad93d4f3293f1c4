/**
 * Name rules of the systems a config value ends up in, each with a `fix` that suggests the
 * nearest valid value (shown in validation messages, never applied silently).
 */
import { isValidAppId, suggestAppId } from '../marathon/app-id.js';

/** Project and worker names, secret names, role names: safe as builder names, file names and path segments. */
export const SIMPLE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export function fixSimpleName(name: string): string {
  const fixed = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 100);
  return fixed || 'project';
}

const DOCKER_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
/** A Docker repository path (without registry host): lowercase components separated by `/`. */
export const DOCKER_REPOSITORY = new RegExp(`^${DOCKER_COMPONENT}(?:/${DOCKER_COMPONENT})*$`);

export function fixDockerRepository(name: string): string {
  const fixed = name
    .toLowerCase()
    .split('/')
    .map((c) => c.replace(/[^a-z0-9._-]+/g, '-').replace(/[._-]{2,}/g, '-').replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, ''))
    .filter(Boolean)
    .join('/');
  return fixed || 'app';
}

/**
 * A Marathon app id (absolute `/a/b` or relative `a/b`): the rules of src/marathon/app-id.ts, so
 * the config accepts exactly the ids `bbm deploy` and Marathon accept (not `/web/tasks`).
 */
export function isMarathonAppId(id: string): boolean {
  return isValidAppId(id);
}

/** The nearest valid app id (`/app` when nothing of `id` is usable). */
export function fixMarathonAppId(id: string): string {
  return suggestAppId(id) ?? '/app';
}

/** What `git check-ref-format --branch` refuses, checked without git. */
export function branchProblem(branch: string): string | null {
  if (branch === '') return 'is empty';
  if (/[\u0000-\u001f\u007f ~^:?*[\\]/.test(branch)) return 'contains a space, a control character or one of ~ ^ : ? * [ \\ (git refuses it)';
  if (branch.includes('..') || branch.includes('@{') || branch === '@') return 'contains `..` or `@{` (git refuses it)';
  if (branch.startsWith('-') || branch.startsWith('/') || branch.endsWith('/') || branch.endsWith('.') || branch.endsWith('.lock') || branch.includes('//'))
    return 'starts with - or /, ends with /, . or .lock, or contains // (git refuses it)';
  if (branch.split('/').some((c) => c.startsWith('.'))) return 'has a component starting with . (git refuses it)';
  return null;
}

export const REGISTRY_HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::[0-9]{1,5})?$/;
export const HOST_ADDRESS = /^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/;
export const BUILD_ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const CONTROL = /[\u0000-\u001f\u007f]/;
