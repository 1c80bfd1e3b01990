import type { TableName } from '../api/objects.ts';

/** A transaction that the store refused; nothing of it was applied. */
export class StoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreError';
  }
}

const singular: Record<TableName, string> = {
  nodes: 'node',
  services: 'service',
  tasks: 'task',
  networks: 'network',
  clusters: 'cluster',
  secrets: 'secret',
  configs: 'config',
};

export class ExistsError extends StoreError {
  constructor(table: TableName, id: string) {
    super(`${singular[table]} ${id} already exists`);
    this.name = 'ExistsError';
  }
}

export class NotFoundError extends StoreError {
  constructor(table: TableName, id: string) {
    super(`${singular[table]} ${id} not found`);
    this.name = 'NotFoundError';
  }
}

/** Optimistic concurrency: the object changed since the caller read it (Docker's message). */
export class SequenceError extends StoreError {
  constructor(table: TableName, id: string, expected: number, actual: number) {
    super(
      `update out of sequence: ${singular[table]} ${id} is at version ${actual}, the update was based on version ${expected}; read it again and retry`,
    );
    this.name = 'SequenceError';
  }
}
