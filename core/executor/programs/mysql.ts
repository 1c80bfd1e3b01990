// A MySQL stand-in for the WordPress demo (a compose file of wordpress + mysql with secrets): the
// official image's configuration (MYSQL_ROOT_PASSWORD[_FILE], MYSQL_ALLOW_EMPTY_PASSWORD,
// MYSQL_RANDOM_ROOT_PASSWORD, MYSQL_DATABASE, MYSQL_USER, MYSQL_PASSWORD[_FILE]), its refusal to
// start without a password, its log lines, and its access errors; but not SQL. It speaks the Redis
// protocol (RESP, or inline text lines: `nc db 3306` works) on port 3306:
//
//   PING                        +PONG, with or without a login
//   AUTH USER PASSWORD          log in; ERROR 1045 (28000): Access denied for user ...
//   USE DATABASE                ERROR 1049 (42000): Unknown database / 1044 for another user's
//   CREATE DATABASE NAME        root only; nothing happens if it exists
//   SERVER                      [version, hostname, task name, address]: who answered
//   GET, SET, INCR, DEL, KEYS... Redis's commands, on the database in use (ERROR 1046 without one)
//   QUIT
//
// SIGTERM (the image's stop signal) shuts it down with exit code 0.

import { createServer, type Socket } from 'node:net';
import type { BuiltinProgram, ProgramContext } from '../program.ts';
import { parseImageRef } from '../image-ref.ts';
import { fileEnv } from './file-env.ts';
import { RedisKeyspace } from './redis-commands.ts';
import { serveResp, type Reply } from './resp.ts';

export const MYSQL_PORT = 3306;

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** The version a tag names: mysql:5.7 → 5.7.44, mysql:8.0 → 8.0.40, latest → 8.4.3. */
export function mysqlVersion(image: string): string {
  const tag = parseImageRef(image)?.tag ?? 'latest';
  const known: Record<string, string> = { '5': '5.7.44', '5.7': '5.7.44', '8': '8.4.3', '8.0': '8.0.40', '8.4': '8.4.3', lts: '8.4.3', '9': '9.1.0', latest: '9.1.0' };
  const base = tag.split('-')[0]!;
  return known[base] ?? (/^\d+\.\d+\.\d+$/.test(base) ? base : '8.4.3');
}

interface Account {
  password: string;
  /** undefined: every database (root). */
  database?: string;
}

export const mysqlProgram: BuiltinProgram = {
  async run(ctx) {
    const version = mysqlVersion(ctx.identity.image);
    const entry = (level: 'Note' | 'Warn' | 'ERROR', text: string) => {
      const d = new Date(ctx.clock.now());
      const line = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}+00:00 [${level}] [Entrypoint]: ${text}\n`;
      (level === 'ERROR' ? ctx.stderr : ctx.stdout).write(line);
    };
    const server = (level: 'System' | 'Warning', code: string, text: string) =>
      ctx.stdout.write(`${new Date(ctx.clock.now()).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z')} 0 [${level}] [${code}] [Server] ${text}\n`);
    const fail = (text: string) => {
      entry('ERROR', text);
      ctx.exit(1);
    };

    entry('Note', `Entrypoint script for MySQL Server ${version}-1.el9 started.`);
    const root = fileEnv(ctx, 'MYSQL_ROOT_PASSWORD');
    if ('error' in root) return fail(root.error);
    const userPassword = fileEnv(ctx, 'MYSQL_PASSWORD');
    if ('error' in userPassword) return fail(userPassword.error);
    const allowEmpty = ctx.env.MYSQL_ALLOW_EMPTY_PASSWORD !== undefined && ctx.env.MYSQL_ALLOW_EMPTY_PASSWORD !== '';
    const random = ctx.env.MYSQL_RANDOM_ROOT_PASSWORD !== undefined && ctx.env.MYSQL_RANDOM_ROOT_PASSWORD !== '';
    if ((root.value ?? '') === '' && !allowEmpty && !random) {
      return fail(
        'Database is uninitialized and password option is not specified\n' +
          '    You need to specify one of the following as an environment variable:\n' +
          '    - MYSQL_ROOT_PASSWORD\n    - MYSQL_ALLOW_EMPTY_PASSWORD\n    - MYSQL_RANDOM_ROOT_PASSWORD',
      );
    }
    const user = ctx.env.MYSQL_USER;
    if (user === 'root') return fail('MYSQL_USER="root", MYSQL_USER and MYSQL_PASSWORD are for configuring a regular user and cannot be used for the root user\n    Remove MYSQL_USER="root" and use one of the following to control the root user password:\n    - MYSQL_ROOT_PASSWORD\n    - MYSQL_ALLOW_EMPTY_PASSWORD\n    - MYSQL_RANDOM_ROOT_PASSWORD');

    const accounts = new Map<string, Account>();
    let rootPassword = root.value ?? '';
    entry('Note', 'Initializing database files');
    if (random && rootPassword === '') {
      rootPassword = randomPassword();
      entry('Note', `GENERATED ROOT PASSWORD: ${rootPassword}`);
    }
    accounts.set('root', { password: rootPassword });
    const databases = new Map<string, RedisKeyspace>();
    const createDatabase = (name: string) => {
      if (!databases.has(name)) databases.set(name, new RedisKeyspace(() => ctx.clock.now()));
    };
    const dbName = ctx.env.MYSQL_DATABASE;
    if (dbName) {
      entry('Note', `Creating database ${dbName}`);
      createDatabase(dbName);
    }
    if (user) {
      if (userPassword.value === undefined || userPassword.value === '') {
        entry('Warn', 'MYSQL_USER specified, but missing MYSQL_PASSWORD; MYSQL_USER will not be created');
      } else {
        entry('Note', `Creating user ${user}`);
        accounts.set(user, { password: userPassword.value, ...(dbName ? { database: dbName } : { database: '' }) });
        if (dbName) entry('Note', `Giving user ${user} access to schema ${dbName}`);
      }
    }
    entry('Note', 'MySQL init process done. Ready for start up.');

    ctx.onSignal((signal) => {
      if (signal !== 'SIGTERM' && signal !== 'SIGINT') return;
      server('System', 'MY-013172', `Received SHUTDOWN from user <via user signal>. Shutting down mysqld (Version: ${version}).`);
      server('System', 'MY-010910', `/usr/sbin/mysqld: Shutdown complete (mysqld ${version})  MySQL Community Server - GPL.`);
      ctx.exit(0);
    });
    server('System', 'MY-010116', `/usr/sbin/mysqld (mysqld ${version}) starting as process 1`);
    const state: ServerState = { ctx, version, accounts, databases, createDatabase };
    await ctx.listen(
      createServer((socket) => serve(socket, state)),
      MYSQL_PORT,
    );
    server('System', 'MY-010931', `/usr/sbin/mysqld: ready for connections. Version: '${version}'  socket: '/var/run/mysqld/mysqld.sock'  port: ${MYSQL_PORT}  MySQL Community Server - GPL.`);
  },
};

function randomPassword(): string {
  const chars = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
  return Array.from({ length: 32 }, () => chars[Math.floor(Math.random() * chars.length)]).join('');
}

interface ServerState {
  ctx: ProgramContext;
  version: string;
  accounts: Map<string, Account>;
  databases: Map<string, RedisKeyspace>;
  createDatabase(name: string): void;
}

interface Session {
  user?: string;
  database?: string;
}

function serve(socket: Socket, state: ServerState): void {
  const session: Session = {};
  const client = (socket.remoteAddress ?? '%').replace(/^::ffff:/, '');
  serveResp(
    socket,
    (args) => execute(state, session, client, args),
    (message) => ({ error: `ERROR 1156 (08S01): Got packets out of order (${message})` }),
  );
}

const OK: Reply = { simple: 'OK' };

function execute(state: ServerState, session: Session, client: string, args: Buffer[]): { reply: Reply; close?: boolean } {
  const a = args.map((b) => b.toString('utf8'));
  const name = a[0]!.toLowerCase();
  const denied = (user: string, withPassword: boolean): Reply => ({ error: `ERROR 1045 (28000): Access denied for user '${user}'@'${client}' (using password: ${withPassword ? 'YES' : 'NO'})` });
  switch (name) {
    case 'ping':
      return { reply: { simple: 'PONG' } };
    case 'quit':
      return { reply: OK, close: true };
    case 'auth': {
      if (a.length < 2 || a.length > 3) return { reply: { error: "ERROR 1064 (42000): usage: AUTH USER PASSWORD" } };
      const [user, password] = a.length === 3 ? [a[1]!, a[2]!] : ['root', a[1]!];
      const account = state.accounts.get(user);
      if (!account || account.password !== password) {
        session.user = undefined;
        return { reply: denied(user, password !== '') };
      }
      session.user = user;
      session.database = undefined;
      return { reply: OK };
    }
  }
  if (session.user === undefined) return { reply: denied('', false), close: true };
  const account = state.accounts.get(session.user)!;
  const allowed = (db: string) => account.database === undefined || account.database === db;
  switch (name) {
    case 'use': {
      const db = a[1];
      if (db === undefined || a.length !== 2) return { reply: { error: 'ERROR 1064 (42000): usage: USE DATABASE' } };
      if (!allowed(db)) return { reply: { error: `ERROR 1044 (42000): Access denied for user '${session.user}'@'%' to database '${db}'` } };
      if (!state.databases.has(db)) return { reply: { error: `ERROR 1049 (42000): Unknown database '${db}'` } };
      session.database = db;
      return { reply: OK };
    }
    case 'create': {
      const db = a[1]?.toLowerCase() === 'database' ? a.at(-1) : undefined;
      if (db === undefined || a.length < 3) return { reply: { error: 'ERROR 1064 (42000): usage: CREATE DATABASE NAME' } };
      if (account.database !== undefined) return { reply: { error: `ERROR 1044 (42000): Access denied for user '${session.user}'@'%' to database '${db}'` } };
      state.createDatabase(db);
      return { reply: OK };
    }
    case 'server': {
      const id = state.ctx.identity;
      return { reply: [state.version, id.hostname, id.taskName, state.ctx.net.addresses[0] ?? ''] };
    }
  }
  const keyspace = session.database === undefined ? undefined : state.databases.get(session.database);
  if (!keyspace) return { reply: { error: 'ERROR 1046 (3D000): No database selected' } };
  const { reply, quit } = keyspace.execute(args);
  return { reply, ...(quit ? { close: true } : {}) };
}
