// The request methods of LabApi, as a value the renderer may hold: it imports main's protocol for
// types only, so the list is spelled here and the compiler checks it names every method, once.

import type { LabMethod } from '../../main/lab/protocol.ts';

export const METHODS = [
  'templates', 'createLab', 'destroyLab', 'images',
  'addMachine', 'machineAction', 'partition', 'heal', 'delay',
  'checkNodeChange', 'setNodeRole', 'setNodeAvailability',
  'createService', 'scaleService', 'updateService', 'rollbackService', 'removeService', 'openLogs', 'closeLogs',
  'deployStack', 'removeStack', 'sendTraffic', 'stopTraffic',
  'openConsole', 'consoleInput', 'consoleResize', 'consoleAck', 'closeConsole',
] as const satisfies readonly LabMethod[];

type Missing = Exclude<LabMethod, (typeof METHODS)[number]>;
// A compile error here names a LabApi method this list lacks.
export const everyMethodListed: [Missing] extends [never] ? true : Missing = true;
