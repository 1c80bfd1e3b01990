// A lab that cannot be read, brought up or taken down for a reason the user can fix. It is a
// MachineError, so the CLI prints its message alone (no stack), as for machines.

import { MachineError } from '../../vm/errors.ts';

export class LabError extends MachineError {
  constructor(message: string) {
    super(message);
    this.name = 'LabError';
  }
}
