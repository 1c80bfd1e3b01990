// The endpoints served: the swarm part of the Engine API, and what the docker CLI asks around it.

import { Router } from './router.ts';
import { inspectDistribution } from './routes/distribution.ts';
import { serviceLogs, taskLogs } from './routes/logs.ts';
import { configRoutes } from './routes/configs.ts';
import { createNetwork, inspectNetwork, listNetworks, removeNetwork } from './routes/networks.ts';
import { secretRoutes } from './routes/secrets.ts';
import { inspectNode, listNodes, removeNode, updateNode } from './routes/nodes.ts';
import { createService, inspectService, listServices, removeService, updateService } from './routes/services.ts';
import { initSwarm, inspectSwarm, joinSwarm, leaveSwarm, unlockKey, unlockSwarm, updateSwarm } from './routes/swarm.ts';
import { events, info, ping, version } from './routes/system.ts';
import { inspectTask, listTasks } from './routes/tasks.ts';

export function engineRoutes(): Router {
  return new Router()
    .add('GET', '/_ping', ping)
    .add('HEAD', '/_ping', ping)
    .add('GET', '/version', version)
    .add('GET', '/info', info)
    .add('GET', '/events', events)
    .add('GET', '/swarm', inspectSwarm)
    .add('POST', '/swarm/init', initSwarm)
    .add('POST', '/swarm/join', joinSwarm)
    .add('POST', '/swarm/leave', leaveSwarm)
    .add('POST', '/swarm/update', updateSwarm)
    .add('GET', '/swarm/unlockkey', unlockKey)
    .add('POST', '/swarm/unlock', unlockSwarm)
    .add('GET', '/nodes', listNodes)
    .add('GET', '/nodes/{id}', inspectNode)
    .add('POST', '/nodes/{id}/update', updateNode)
    .add('DELETE', '/nodes/{id}', removeNode)
    .add('GET', '/services', listServices)
    .add('POST', '/services/create', createService)
    .add('GET', '/services/{id}', inspectService)
    .add('POST', '/services/{id}/update', updateService)
    .add('DELETE', '/services/{id}', removeService)
    .add('GET', '/services/{id}/logs', serviceLogs)
    .add('GET', '/tasks', listTasks)
    .add('GET', '/tasks/{id}', inspectTask)
    .add('GET', '/tasks/{id}/logs', taskLogs)
    .add('GET', '/networks', listNetworks)
    .add('POST', '/networks/create', createNetwork)
    .add('GET', '/networks/{id}', inspectNetwork)
    .add('DELETE', '/networks/{id}', removeNetwork)
    .add('GET', '/secrets', secretRoutes.list)
    .add('POST', '/secrets/create', secretRoutes.create)
    .add('GET', '/secrets/{id}', secretRoutes.inspect)
    .add('POST', '/secrets/{id}/update', secretRoutes.update)
    .add('DELETE', '/secrets/{id}', secretRoutes.remove)
    .add('GET', '/configs', configRoutes.list)
    .add('POST', '/configs/create', configRoutes.create)
    .add('GET', '/configs/{id}', configRoutes.inspect)
    .add('POST', '/configs/{id}/update', configRoutes.update)
    .add('DELETE', '/configs/{id}', configRoutes.remove)
    .add('GET', '/distribution/{name+}/json', inspectDistribution);
}
