/**
 * Exit codes of every `bbm` command (README.md, Exit codes). Only `src/cli.ts` turns errors into them.
 */
export const ExitCode = {
  Ok: 0,
  /** The operation ran and failed: the build broke, the deploy was rolled back. */
  Failed: 1,
  /** Bad usage or invalid input: arguments, config, app definition. */
  Usage: 2,
  /** An external system could not be reached after retries. */
  Unreachable: 3,
  /** Stopped by SIGINT (128 + 2, as shells report it). */
  Sigint: 130,
  /** Stopped by SIGTERM (128 + 15). */
  Sigterm: 143,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface BbmErrorOptions {
  /** What to do next; printed on its own line after the message. */
  hint?: string;
  cause?: unknown;
}

/** Base of every error `bbm` reports on purpose. Anything else is a bug and is printed with its stack. */
export class BbmError extends Error {
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;

  constructor(message: string, exitCode: ExitCode, options: BbmErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.exitCode = exitCode;
    this.hint = options.hint;
  }
}

/** Invalid arguments, config or input (exit 2). */
export class UsageError extends BbmError {
  constructor(message: string, options: BbmErrorOptions = {}) {
    super(message, ExitCode.Usage, options);
  }
}

/** The operation itself failed (exit 1). */
export class OperationFailedError extends BbmError {
  constructor(message: string, options: BbmErrorOptions = {}) {
    super(message, ExitCode.Failed, options);
  }
}

/** An external system could not be reached after retries (exit 3). */
export class UnreachableError extends BbmError {
  constructor(message: string, options: BbmErrorOptions = {}) {
    super(message, ExitCode.Unreachable, options);
  }
}

/**
 * The run was stopped by a signal (exit 130/143). Commands abort with it (RunContext.signal's
 * reason) and say in `leftBehind` what the stop leaves behind.
 */
export class InterruptedError extends BbmError {
  readonly signalName: 'SIGINT' | 'SIGTERM';

  constructor(signalName: 'SIGINT' | 'SIGTERM', leftBehind?: string) {
    super(`stopped by ${signalName}${leftBehind ? `: ${leftBehind}` : ''}`, signalName === 'SIGINT' ? ExitCode.Sigint : ExitCode.Sigterm);
    this.signalName = signalName;
  }

  /** The same stop, with what the command leaves behind. */
  leaving(leftBehind: string): InterruptedError {
    return new InterruptedError(this.signalName, leftBehind);
  }
}

/** Many validation problems at once, each with a dot-path; exit 2. */
export class ValidationError extends UsageError {
  readonly problems: readonly Problem[];

  constructor(subject: string, problems: readonly Problem[], options: BbmErrorOptions = {}) {
    super(
      `${subject}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n` +
        problems.map((p) => `  ${p.path || '(root)'}: ${p.message}`).join('\n'),
      options,
    );
    this.problems = problems;
  }
}

export interface Problem {
  /** Where the problem is, e.g. `projects[2].name` or `ci.config.ts:12:5`. */
  path: string;
  message: string;
}
