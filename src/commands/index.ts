import type { CommandModule } from 'yargs';
import { buildCommand } from './build.js';
import { pushCommand } from './push.js';
import { deployCommand } from './deploy.js';
import { detectCommand } from './detect.js';
import { endpointsCommand } from './endpoints.js';
import { haproxyCommand } from './haproxy.js';
import { devclusterCommand } from './devcluster.js';
import { generateCommand } from './generate.js';
import { rollbackCommand } from './rollback.js';
import { statusCommand } from './status.js';
import { tagCommand } from './tag.js';

/**
 * Every subcommand, one module each. A module only declares options; its handler imports the
 * library code it needs, so `bbm tag` never loads ts-morph, ejs or dockerode.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [tagCommand, buildCommand, pushCommand, devclusterCommand, deployCommand, rollbackCommand, statusCommand, generateCommand, detectCommand, endpointsCommand, haproxyCommand];
