// Once before the whole run: bundle swarmd and swarmctl, so the tests that start them as real
// processes all run the same fresh build (and none of them races another to write it); and build
// the renderer for the browser tests, if its sources changed since the last build.

import { buildRenderer, bundle } from '../main/bundle.ts';

export default async function setup(): Promise<void> {
  await bundle();
  await buildRenderer({ ifStale: true });
}
