// The built-in programs, by the names the image catalog uses for them.

import type { BuiltinProgram } from '../program.ts';
import { crashProgram } from './crash.ts';
import { echoProgram } from './echo.ts';
import { falseProgram, trueProgram } from './exit-status.ts';
import { mysqlProgram } from './mysql.ts';
import { catProgram, curlProgram, nslookupProgram, wgetProgram } from './net-tools.ts';
import { nginxProgram } from './nginx.ts';
import { pingProgram } from './ping.ts';
import { redisProgram } from './redis.ts';
import { shellProgram } from './shell.ts';
import { sleepProgram } from './sleep.ts';
import { webProgram } from './web.ts';
import { whoamiProgram } from './whoami.ts';
import { wordpressProgram } from './wordpress.ts';

export const BUILTIN_PROGRAMS: ReadonlyMap<string, BuiltinProgram> = new Map([
  ['whoami', whoamiProgram],
  ['web', webProgram],
  ['crash', crashProgram],
  ['nginx', nginxProgram],
  ['redis', redisProgram],
  ['mysql', mysqlProgram],
  ['wordpress', wordpressProgram],
  ['ping', pingProgram],
  ['sleep', sleepProgram],
  ['echo', echoProgram],
  ['true', trueProgram],
  ['false', falseProgram],
  ['sh', shellProgram],
  ['wget', wgetProgram],
  ['curl', curlProgram],
  ['nslookup', nslookupProgram],
  ['cat', catProgram],
]);
