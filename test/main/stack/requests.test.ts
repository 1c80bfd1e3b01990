// The app's stack requests at the controller's boundary.

import { describe, expect, it } from 'vitest';
import { parseRequest } from '../../../main/lab/requests.ts';

describe('deployStack and removeStack requests', () => {
  it('takes a name, the compose text and options', () => {
    expect(parseRequest('deployStack', { name: 'app', compose: 'services: {}', prune: true, dir: '/srv', env: { TAG: '1' } })).toEqual({ name: 'app', compose: 'services: {}', prune: true, dir: '/srv', env: { TAG: '1' } });
    expect(parseRequest('removeStack', { name: 'app' })).toEqual({ name: 'app' });
  });

  it('names what is wrong', () => {
    expect(() => parseRequest('deployStack', { name: 'my app', compose: 'x' })).toThrow(`deployStack: name: expected a stack name (a letter or digit, then letters, digits, '_', '.' or '-'), got "my app"`);
    expect(() => parseRequest('deployStack', { name: 'app' })).toThrow("deployStack: compose: required: a compose file's text");
    expect(() => parseRequest('deployStack', { name: 'app', compose: 'x', prun: true })).toThrow('deployStack: unknown field "prun" (did you mean "prune"?)');
    expect(() => parseRequest('removeStack', {})).toThrow('removeStack: name: required: a stack name such as app');
  });
});
