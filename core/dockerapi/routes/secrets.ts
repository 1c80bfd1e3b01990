// /secrets: see data-objects.ts (a secret is never returned with its Data).

export { secretRoutes } from './data-objects.ts';
