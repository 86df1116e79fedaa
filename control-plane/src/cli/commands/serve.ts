// laneway serve: the control plane itself, with the same flags as `npm start`.
import { USAGE } from '../../runtime/config.js';
import type { CliCommand } from '../command.js';
import { EXIT } from '../errors.js';

export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'run the control plane (xDS server and REST API)',
  usage: USAGE,
  async run(args) {
    // Loaded only here: the other commands should not pay for the server's modules.
    const { serve } = await import('../../main.js');
    await serve(args);
    return EXIT.ok;
  },
};
