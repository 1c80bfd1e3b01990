// /configs: see data-objects.ts (a config is returned with its Data).

export { configRoutes } from './data-objects.ts';
