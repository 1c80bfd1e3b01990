import { afterEach, describe, expect, it, vi } from 'vitest';
import { AckBatcher } from '../../renderer/console/ack-batcher.ts';

afterEach(() => vi.useRealTimers());

describe('AckBatcher', () => {
  it('acknowledges at once past the threshold, and the rest shortly after', () => {
    vi.useFakeTimers();
    const sent: number[] = [];
    const b = new AckBatcher((n) => sent.push(n), 100, 20);
    b.written(60);
    expect(sent).toEqual([]);
    b.written(60);
    expect(sent).toEqual([120]);
    b.written(5);
    vi.advanceTimersByTime(25);
    expect(sent).toEqual([120, 5]);
    b.written(0);
    vi.advanceTimersByTime(25);
    expect(sent).toEqual([120, 5]);
  });
});
