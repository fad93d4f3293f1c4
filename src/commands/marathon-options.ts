import type { MarathonConnection } from '../marathon/connection.js';
import type { OptionSpec } from './define.js';

/**
 * Options every Marathon command shares (spread into a command's `options`). Credentials are never
 * options (argv is visible to every user of the machine): they come from files
 * (--marathon-credentials-file, --marathon-token-file) or the environment variables
 * BBM_MARATHON_USER + BBM_MARATHON_PASSWORD or BBM_MARATHON_TOKEN, which src/marathon/auth.ts reads.
 */
export const marathonOptions = {
  'marathon-url': { alias: 'marathon', type: 'string', default: 'http://127.0.0.1:8080', describe: 'Marathon base URL' },
  'marathon-credentials-file': { type: 'string', describe: 'file with one line user:password for HTTP basic auth (or env BBM_MARATHON_USER + BBM_MARATHON_PASSWORD)' },
  'marathon-token-file': { type: 'string', describe: 'file with a DC/OS token, sent as Authorization: token=… (or env BBM_MARATHON_TOKEN)' },
  'marathon-ca-file': { type: 'string', describe: 'PEM file with the CA that signed Marathon’s TLS certificate' },
} satisfies Record<string, OptionSpec>;

export interface MarathonArgs {
  'marathon-url': string;
  'marathon-credentials-file'?: string;
  'marathon-token-file'?: string;
  'marathon-ca-file'?: string;
}

/** The flags as the one MarathonConnection every Marathon command makes its client from. */
export function marathonConnection(argv: MarathonArgs): MarathonConnection {
  return {
    url: argv['marathon-url'],
    authFiles: { credentialsFile: argv['marathon-credentials-file'], tokenFile: argv['marathon-token-file'] },
    caFile: argv['marathon-ca-file'],
  };
}
