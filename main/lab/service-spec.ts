// A lab file's service, as the Engine API's ServiceSpec (what `docker service create` would send),
// checked by the same validator the API runs, so that a bad constraint is reported with the lab
// file's other errors instead of after the machines were made.

import type { ServiceSpec } from '../../core/api/objects.ts';
import { validateServiceSpec } from '../../core/api/validate.ts';
import type { LabServiceData } from './lab-schema.ts';

const strip = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

export function serviceSpec(s: LabServiceData): ServiceSpec {
  const update = s.update && strip({
    Parallelism: s.update.parallelism,
    Delay: s.update.delay,
    FailureAction: s.update.failureAction,
    Order: s.update.order,
    Monitor: s.update.monitor,
    MaxFailureRatio: s.update.maxFailureRatio,
  });
  const restart = s.restart && strip({ Condition: s.restart.condition, Delay: s.restart.delay, MaxAttempts: s.restart.maxAttempts, Window: s.restart.window });
  const spec: ServiceSpec = strip({
    Name: s.name,
    Labels: s.labels,
    TaskTemplate: strip({
      // `command` replaces the image's CMD, as compose's `command` and `docker service create IMAGE CMD...` do.
      ContainerSpec: strip({ Image: s.image, Args: s.command, Env: s.env }),
      Placement: s.constraints ? { Constraints: s.constraints } : undefined,
      RestartPolicy: restart,
    }),
    Mode: s.mode === 'global' ? { Global: {} } : { Replicated: { Replicas: s.replicas ?? 1 } },
    UpdateConfig: update,
    EndpointSpec: s.publish
      ? {
          Ports: s.publish.map((p) =>
            strip({ TargetPort: p.target, PublishedPort: p.published, Protocol: p.protocol ?? 'tcp', PublishMode: p.mode ?? 'ingress' }),
          ),
        }
      : undefined,
  });
  return validateServiceSpec(spec);
}
