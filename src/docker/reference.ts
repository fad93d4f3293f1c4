/**
 * Docker image references, parsed and validated purely: `[registry/]repository[:tag][@digest]`.
 * The grammar is Docker's (distribution/reference), reduced to what bbm needs to say precisely
 * which part of a bad reference is wrong.
 */
import { UsageError } from '../errors.js';
import { redactHostUserinfo } from '../url-credentials.js';

export const TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

const COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
/** Repository path: lowercase components separated by `/`. */
export const REPOSITORY_PATTERN = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?';
/** Registry host with optional port: a DNS name, an IPv4 address or a bracketed IPv6 address. */
export const REGISTRY_PATTERN = new RegExp(`^(?:${LABEL}(?:\\.${LABEL})*|\\[[0-9A-Fa-f:.]+\\])(?::[0-9]{1,5})?$`);

export const DIGEST_PATTERN = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-f0-9]{32,}$/;

export interface ImageReference {
  /** `127.0.0.1:5000`, or undefined for Docker Hub. */
  registry: string | undefined;
  repository: string;
  /** The tag, `latest` when none was written (as `docker build -t` does). */
  tag: string;
  tagWasExplicit: boolean;
  digest: string | undefined;
  /** `registry/repository` (what the engine calls the repository). */
  name: string;
  /** `name:tag` */
  full: string;
}

/** A first path component is a registry when it looks like a host: has `.` or `:`, or is `localhost`. */
function looksLikeRegistry(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost' || component.startsWith('[');
}

export function parseImageReference(ref: string, source = '--image'): ImageReference {
  const bad = (why: string) =>
    new UsageError(`${source} ${JSON.stringify(redactHostUserinfo(ref))} is not a valid image reference: ${why}`, {
      hint: 'use [REGISTRY[:PORT]/]REPOSITORY[:TAG], e.g. 127.0.0.1:5000/webapp:webApp-123-master-0.5.20 (repository lowercase)',
    });
  if (ref.length === 0) throw bad('it is empty');
  if (/\s/.test(ref)) throw bad('it contains whitespace');
  if (/^[a-z]+:\/\//i.test(ref)) throw bad('it starts with a URL scheme; write the registry as HOST[:PORT]');

  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST_PATTERN.test(digest)) throw bad(`digest ${JSON.stringify(digest)} is not ALGORITHM:HEX`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_PATTERN.test(tag)) throw bad(`tag ${JSON.stringify(tag)} is not [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`);
  }
  const slash = rest.indexOf('/');
  let registry: string | undefined;
  let repository = rest;
  if (slash >= 0 && looksLikeRegistry(rest.slice(0, slash))) {
    registry = rest.slice(0, slash);
    repository = rest.slice(slash + 1);
    if (!REGISTRY_PATTERN.test(registry)) throw bad(`registry ${JSON.stringify(registry)} is not HOST[:PORT]`);
  }
  if (!REPOSITORY_PATTERN.test(repository)) {
    throw bad(
      `repository ${JSON.stringify(repository)} must be lowercase letters and digits separated by . _ __ or -, components joined by /`,
    );
  }
  const name = registry ? `${registry}/${repository}` : repository;
  if (name.length > 255) throw bad(`the name is ${name.length} characters, more than 255`);
  const finalTag = tag ?? 'latest';
  return { registry, repository, tag: finalTag, tagWasExplicit: tag !== undefined, digest, name, full: `${name}:${finalTag}` };
}
