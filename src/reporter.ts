/**
 * Progress output. Library code reports through this interface, never through console.*:
 * the CLI prints plain lines on stderr that read well in a Buildbot log (no cursor codes),
 * and tests collect lines.
 */
export interface Reporter {
  info(line: string): void;
  warn(line: string): void;
  /** Verbatim output of a tool (docker build, git): passed through line by line. */
  raw(line: string): void;
}

export function streamReporter(stream: NodeJS.WritableStream = process.stderr): Reporter {
  const write = (prefix: string, line: string) => {
    for (const l of stripControl(line).split('\n')) stream.write(`${prefix}${l}\n`);
  };
  return {
    info: (line) => write('', line),
    warn: (line) => write('warning: ', line),
    raw: (line) => write('', line),
  };
}

export function memoryReporter(): Reporter & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (l) => lines.push(l),
    warn: (l) => lines.push(`warning: ${l}`),
    raw: (l) => lines.push(l),
  };
}

export const silentReporter: Reporter = { info() {}, warn() {}, raw() {} };

/**
 * Removes ANSI escape sequences and carriage-return redraws so a log shows the final text only.
 * Keeps tabs and newlines.
 */
export function stripControl(text: string): string {
  return text
    .replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, '')
    .replace(/\u001b[@-Z\\-_]/g, '')
    .replace(/^.*\r(?!\n)/gm, '')
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '');
}
