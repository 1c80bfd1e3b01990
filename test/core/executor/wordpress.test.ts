// The compose demo: wordpress + mysql with the passwords as secrets, end to end over a loopback
// test network: visits counted in the database, who answered, a wrong password, the database down.
import { afterEach, describe, expect, it } from 'vitest';
import { mysqlProgram, mysqlVersion } from '../../../core/executor/programs/mysql.ts';
import { wgetProgram } from '../../../core/executor/programs/net-tools.ts';
import { wordpressProgram } from '../../../core/executor/programs/wordpress.ts';
import { executor, httpGet, lines, listeningPort, task, tcpExchange } from './helpers.ts';
import { killAll, LoopbackNetwork, run, type Running } from './test-network.ts';

afterEach(() => killAll());

const SECRETS = { '/run/secrets/db_root_password': 'r00t\n', '/run/secrets/db_password': 'wp-pass\n' };

/** The compose file's db service: MYSQL_ROOT_PASSWORD_FILE, MYSQL_DATABASE, MYSQL_USER, MYSQL_PASSWORD_FILE. */
async function database(net: LoopbackNetwork, env: Record<string, string> = {}): Promise<Running> {
  const db = run(mysqlProgram, ['mysqld'], {
    env: {
      MYSQL_ROOT_PASSWORD_FILE: '/run/secrets/db_root_password',
      MYSQL_DATABASE: 'wordpress',
      MYSQL_USER: 'wordpress',
      MYSQL_PASSWORD_FILE: '/run/secrets/db_password',
      ...env,
    },
    files: SECRETS,
    net: net.forTask(['10.0.2.5']),
    identity: { serviceName: 'db', taskName: 'db.1.abc', hostname: 'db-host', image: 'mysql:8.0' },
  });
  net.service('db', '10.0.2.2', ['10.0.2.5']).expose('10.0.2.5', 3306, await db.listening);
  return db;
}

function wordpress(net: LoopbackNetwork, env: Record<string, string> = {}): Running {
  return run(wordpressProgram, ['apache2-foreground'], {
    env: { WORDPRESS_DB_HOST: 'db:3306', WORDPRESS_DB_USER: 'wordpress', WORDPRESS_DB_PASSWORD_FILE: '/run/secrets/db_password', ...env },
    files: { '/run/secrets/db_password': SECRETS['/run/secrets/db_password'] },
    net: net.forTask(['10.0.2.9']),
    identity: { serviceName: 'wordpress', taskName: 'wordpress.1.xyz', hostname: 'wp-host', nodeHostname: 'worker-2', image: 'wordpress:latest' },
  });
}

describe('mysql', () => {
  it('refuses to start without a password, as the image does', async () => {
    const db = run(mysqlProgram, ['mysqld'], { env: { MYSQL_DATABASE: 'wordpress' } });
    expect(await db.exited).toBe(1);
    expect(db.stderr()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+00:00 \[ERROR\] \[Entrypoint\]: Database is uninitialized and password option is not specified\n {4}You need to specify one of the following as an environment variable:\n {4}- MYSQL_ROOT_PASSWORD\n/);
    const missing = run(mysqlProgram, ['mysqld'], { env: { MYSQL_ROOT_PASSWORD_FILE: '/run/secrets/nope' } });
    expect(await missing.exited).toBe(1);
    expect(missing.stderr()).toContain('[ERROR] [Entrypoint]: MYSQL_ROOT_PASSWORD_FILE: /run/secrets/nope: No such file or directory');
    const both = run(mysqlProgram, ['mysqld'], { env: { MYSQL_ROOT_PASSWORD: 'a', MYSQL_ROOT_PASSWORD_FILE: '/run/secrets/db_root_password' }, files: SECRETS });
    expect(await both.exited).toBe(1);
    expect(both.stderr()).toContain('Both MYSQL_ROOT_PASSWORD and MYSQL_ROOT_PASSWORD_FILE are set (but are exclusive)');
  });

  it('logs "ready for connections", checks logins and database rights, and shuts down on SIGTERM with 0', async () => {
    const net = new LoopbackNetwork();
    const db = await database(net);
    expect(db.stdout()).toContain('[Note] [Entrypoint]: Creating user wordpress');
    expect(db.stdout()).toMatch(/Z 0 \[System\] \[MY-010931\] \[Server\] \/usr\/sbin\/mysqld: ready for connections\. Version: '8\.0\.40'  socket: '\/var\/run\/mysqld\/mysqld\.sock'  port: 3306/);
    const port = await db.listening;
    const ask = (text: string, replies: number) => tcpExchange(port, text, (s) => s.split('\r\n').length > replies);
    expect(await ask('GET x\r\n', 1)).toBe("-ERROR 1045 (28000): Access denied for user ''@'127.0.0.1' (using password: NO)\r\n");
    expect(await ask('AUTH wordpress wrong\r\n', 1)).toBe("-ERROR 1045 (28000): Access denied for user 'wordpress'@'127.0.0.1' (using password: YES)\r\n");
    expect(await ask('AUTH wordpress wp-pass\r\nGET x\r\nUSE mysql\r\nUSE wordpress\r\nINCR n\r\nINCR n\r\nCREATE DATABASE other\r\n', 7)).toBe(
      "+OK\r\n-ERROR 1046 (3D000): No database selected\r\n-ERROR 1044 (42000): Access denied for user 'wordpress'@'%' to database 'mysql'\r\n+OK\r\n:1\r\n:2\r\n-ERROR 1044 (42000): Access denied for user 'wordpress'@'%' to database 'other'\r\n",
    );
    expect(await ask('AUTH root r00t\r\nUSE other\r\nCREATE DATABASE other\r\nUSE other\r\nSERVER\r\n', 9)).toBe(
      "+OK\r\n-ERROR 1049 (42000): Unknown database 'other'\r\n+OK\r\n+OK\r\n*4\r\n$6\r\n8.0.40\r\n$7\r\ndb-host\r\n$8\r\ndb.1.abc\r\n$8\r\n10.0.2.5\r\n",
    );
    db.vp.signal('SIGTERM');
    expect(await db.exited).toBe(0);
    expect(db.stdout()).toMatch(/Shutdown complete \(mysqld 8\.0\.40\)/);
    expect(mysqlVersion('mysql:5.7')).toBe('5.7.44');
    expect(mysqlVersion('mysql')).toBe('9.1.0');
    expect(mysqlVersion('mysql:8.0.36-debian')).toBe('8.0.36');
  });
});

describe('wordpress + mysql', () => {
  it('each visit is counted in the database; the page says who answered', async () => {
    const net = new LoopbackNetwork();
    await database(net);
    const wp = wordpress(net);
    const port = await wp.listening;
    const first = await httpGet(port);
    expect(first.status).toBe(200);
    expect(first.body).toContain('<title>WordPress on swarmlab</title>');
    expect(first.body).toContain('Visits: 1');
    expect(first.body).toContain('<tr><td>answered by</td><td>wordpress.1.xyz (10.0.2.9)</td></tr>');
    expect(first.body).toContain('<tr><td>node</td><td>worker-2</td></tr>');
    expect(first.body).toContain('<tr><td>database</td><td>db:3306 → 10.0.2.2, answered by db.1.abc (10.0.2.5), MySQL 8.0.40</td></tr>');
    expect((await httpGet(port)).body).toContain('Visits: 2');
    expect(wp.stdout()).toMatch(/"GET \/ HTTP\/1\.1" 200 \d+ "-" "swarmlab-test"\n.*"GET \/ HTTP\/1\.1" 200/);
    expect(wp.stderr()).toContain('AH00163: Apache/2.4.62 (Debian) PHP/8.2.26 configured -- resuming normal operations');
    // and from another task, by the service's name
    net.service('wordpress', '10.0.2.3', ['10.0.2.9']).expose('10.0.2.9', 80, port);
    const w = run(wgetProgram, ['wget', '-qO-', 'http://wordpress/'], { net: net.forTask() });
    expect(await w.exited).toBe(0);
    expect(w.stdout()).toContain('Visits: 3');
  });

  it('a wrong password: 500, "Error establishing a database connection", and why', async () => {
    const net = new LoopbackNetwork();
    await database(net);
    const wp = wordpress(net, { WORDPRESS_DB_PASSWORD: 'guess' });
    // WORDPRESS_DB_PASSWORD_FILE and WORDPRESS_DB_PASSWORD: exclusive, as in the image
    expect(await wp.exited).toBe(1);
    expect(wp.stderr()).toBe('error: Both WORDPRESS_DB_PASSWORD and WORDPRESS_DB_PASSWORD_FILE are set (but are exclusive)\n');
    const wrong = wordpress(net, { WORDPRESS_DB_PASSWORD_FILE: '', WORDPRESS_DB_PASSWORD: 'guess' });
    const res = await httpGet(await wrong.listening);
    expect(res.status).toBe(500);
    expect(res.body).toContain('<title>Database Error</title>');
    expect(res.body).toContain('<h1>Error establishing a database connection</h1>');
    expect(res.body).toContain('mysqli_real_connect(): (28000/1045): Access denied for user &#39;wordpress&#39;@&#39;127.0.0.1&#39; (using password: YES)');
    expect(wrong.stderr()).toMatch(/\[php:warn\] .*PHP Warning: {2}mysqli_real_connect\(\): \(28000\/1045\): Access denied/);
    expect(wrong.stdout()).toMatch(/"GET \/ HTTP\/1\.1" 500 /);
  });

  it('the database down, or no such host: 500 with the connection error; back when it is', async () => {
    const net = new LoopbackNetwork();
    const db = await database(net);
    const wp = wordpress(net);
    const port = await wp.listening;
    expect((await httpGet(port)).status).toBe(200);
    db.vp.kill();
    await db.exited;
    const down = await httpGet(port);
    expect(down.status).toBe(500);
    expect(down.body).toContain('Error establishing a database connection');
    expect(down.body).toContain('mysqli_real_connect(): (HY000/2002): Connection refused');
    // a new database task: a fresh database, and WordPress works again
    await database(net);
    const back = await httpGet(port);
    expect(back.status).toBe(200);
    expect(back.body).toContain('Visits: 1');
    net.forget('db');
    const gone = await httpGet(port);
    expect(gone.status).toBe(500);
    expect(gone.body).toContain('getaddrinfo for db failed: Name or service not known');
  });

  it('as root with no MYSQL_DATABASE, WordPress creates its database', async () => {
    const net = new LoopbackNetwork();
    await database(net, { MYSQL_DATABASE: '', MYSQL_USER: '', MYSQL_PASSWORD_FILE: '' });
    const wp = run(wordpressProgram, ['apache2-foreground'], {
      env: { WORDPRESS_DB_HOST: 'db', WORDPRESS_DB_USER: 'root', WORDPRESS_DB_PASSWORD_FILE: '/run/secrets/db_root_password' },
      files: SECRETS,
      net: net.forTask(),
    });
    const res = await httpGet(await wp.listening);
    expect(res.status).toBe(200);
    expect(res.body).toContain('Visits: 1');
  });

  it('through the executor: the catalog images start as built-ins; mysql without a password fails', async () => {
    const ex = await executor();
    try {
      const db = task({ Image: 'mysql:5.7' });
      await ex.prepare(db);
      const info = await ex.start(db);
      expect(info.pid).toBeUndefined();
      expect(await ex.wait(db)).toEqual({ exitCode: 1 });
      expect((await lines(ex, db.ID, 'stderr')).join('\n')).toContain('Database is uninitialized and password option is not specified');
      const wp = task({ Image: 'wordpress:6' });
      await ex.prepare(wp);
      await ex.start(wp);
      const res = await httpGet(await listeningPort(ex, wp.ID));
      expect(res.status).toBe(500);
      expect(res.body).toContain('getaddrinfo for db failed');
      await ex.stop(wp, 5000);
      expect(await ex.wait(wp)).toEqual({ exitCode: 0 }); // SIGWINCH, the image's stop signal: graceful
    } finally {
      await ex.close();
    }
  });
});
