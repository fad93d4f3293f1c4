import { cpdirCommand, globCommand, listdirCommand, mkdirCommand, rmdirCommand, rmfileCommand, statCommand } from './fs.js';
import { shellCommand } from './shell.js';
import { downloadFileCommand, uploadDirectoryCommand, uploadFileCommand } from './transfer.js';
import type { WorkerCommand } from './context.js';

/** Every command the worker runs, by the names masters send (both spellings of the transfers). */
export const COMMANDS: Readonly<Record<string, WorkerCommand>> = {
  shell: shellCommand,
  uploadFile: uploadFileCommand,
  upload_file: uploadFileCommand,
  uploadDirectory: uploadDirectoryCommand,
  upload_directory: uploadDirectoryCommand,
  downloadFile: downloadFileCommand,
  download_file: downloadFileCommand,
  mkdir: mkdirCommand,
  rmdir: rmdirCommand,
  cpdir: cpdirCommand,
  stat: statCommand,
  glob: globCommand,
  listdir: listdirCommand,
  rmfile: rmfileCommand,
};

/** The command protocol version buildbot-worker 3.7 announces for each command (commands/base.py). */
export const COMMAND_VERSION = '3.1';
