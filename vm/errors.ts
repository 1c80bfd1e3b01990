// One error type for everything a user can fix (unknown machine, bad name, corrupt file, a node that
// would not start): the CLI prints its message and exits 1, while anything else is a bug and keeps
// its stack.

export class MachineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MachineError';
  }
}
