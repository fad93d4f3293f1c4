// The part of tar-fs 2 that bbm uses (the package ships no types).
declare module 'tar-fs' {
  import type { Readable } from 'node:stream';
  export interface PackOptions {
    /** Called with each path joined to cwd; true leaves it (and, for a directory, everything below) out. */
    ignore?: (name: string) => boolean;
    entries?: string[];
    sort?: boolean;
    dereference?: boolean;
  }
  export function pack(cwd: string, options?: PackOptions): Readable;
}
