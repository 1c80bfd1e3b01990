import { describe, expect, it } from 'vitest';
import { Streams } from '../../renderer/app/streams.ts';

describe('Streams', () => {
  it('hands console data to its terminal, including what arrived before the terminal listened', () => {
    const s = new Streams();
    expect(s.dispatch({ type: 'console-data', consoleId: 'c1', data: 'early ' })).toBe(true);
    const got: string[] = [];
    const stop = s.listen('c1', (e) => e.type === 'console-data' && got.push(e.data));
    s.dispatch({ type: 'console-data', consoleId: 'c1', data: 'late' });
    expect(got).toEqual(['early ', 'late']);
    stop();
    s.dispatch({ type: 'console-data', consoleId: 'c1', data: 'after' });
    expect(got).toEqual(['early ', 'late']);
    // Nor is it kept for a listener that will never come back.
    const again: string[] = [];
    s.listen('c1', (e) => e.type === 'console-data' && again.push(e.data));
    expect(again).toEqual([]);
  });

  it('leaves view events to the store', () => {
    const s = new Streams();
    expect(s.dispatch({ type: 'delta', delta: {} })).toBe(false);
    expect(s.dispatch({ type: 'logs', streamId: 'l', lines: ['x'] })).toBe(true);
  });
});
