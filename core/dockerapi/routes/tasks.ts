// /tasks: list and inspect.

import { requireControl, sendJson, type RequestContext } from '../context.ts';
import { parseFilters, taskFilters } from '../filters.ts';
import { taskView } from '../views.ts';

export async function listTasks(ctx: RequestContext): Promise<void> {
  const { filters, none } = taskFilters(parseFilters(ctx.query.get('filters')));
  const control = await requireControl(ctx);
  const tasks = await control.listTasks(filters);
  sendJson(ctx, 200, none ? [] : tasks.map(taskView));
}

export async function inspectTask(ctx: RequestContext): Promise<void> {
  const control = await requireControl(ctx);
  sendJson(ctx, 200, taskView(await control.getTask(ctx.params.id!)));
}
