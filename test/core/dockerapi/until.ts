// Waiting for a condition, with a deadline: never a fixed sleep.

export interface UntilOptions {
  what: string;
  timeoutMs?: number;
  intervalMs?: number;
}

export async function until(pred: () => boolean | Promise<boolean>, opts: UntilOptions): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
  let lastError: unknown;
  while (true) {
    try {
      if (await pred()) return;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out waiting for ${opts.what}${why}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 50));
  }
}
