/** A page draws into `root` and resolves to its clean-up (closing its live subscription). */
export interface PageContext {
  loggedIn: boolean;
  username: string | null;
  fail: (err: unknown) => void;
}

export type Page = (root: HTMLElement, ctx: PageContext) => Promise<() => void>;
