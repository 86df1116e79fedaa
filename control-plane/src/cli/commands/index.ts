// Every `laneway <group>` command; a new group is one import and one entry here.
import type { CliCommand } from '../command.js';
import { applyCommand } from './apply.js';
import { doctorCommand } from './doctor.js';
import { envoyCommand } from './envoy.js';
import { explainCommand } from './explain.js';
import { laneCommand } from './lane.js';
import { proxyCommand } from './proxy.js';
import { serveCommand } from './serve.js';
import { serviceCommand } from './service.js';

export const COMMANDS: CliCommand[] = [
  laneCommand,
  serviceCommand,
  applyCommand,
  proxyCommand,
  explainCommand,
  envoyCommand,
  doctorCommand,
  serveCommand,
];
