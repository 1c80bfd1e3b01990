// The image catalog: Docker's spellings of a reference, tags, digests, and a catalog file that is
// wrong in a way its author can fix from the message.
import { describe, expect, it } from 'vitest';
import { ImageCatalog } from '../../../core/executor/catalog.ts';
import { parseImageRef } from '../../../core/executor/image-ref.ts';
import { ProcessExecutor } from '../../../core/executor/process-executor.ts';
import { loadCatalog } from './helpers.ts';

const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('image references', () => {
  it('reduces Docker Hub spellings to the short name', () => {
    expect(parseImageRef('alpine')).toEqual({ name: 'alpine' });
    expect(parseImageRef('alpine:3.19')).toEqual({ name: 'alpine', tag: '3.19' });
    expect(parseImageRef('library/alpine:3.19')).toEqual({ name: 'alpine', tag: '3.19' });
    expect(parseImageRef('docker.io/library/alpine:3.19')).toEqual({ name: 'alpine', tag: '3.19' });
    expect(parseImageRef('index.docker.io/swarmlab/whoami:1')).toEqual({ name: 'swarmlab/whoami', tag: '1' });
    expect(parseImageRef(`alpine@${DIGEST}`)).toEqual({ name: 'alpine', digest: DIGEST });
    expect(parseImageRef(`swarmlab/whoami:2@${DIGEST}`)).toEqual({ name: 'swarmlab/whoami', tag: '2', digest: DIGEST });
  });

  it('keeps other registries in the name, ports included', () => {
    expect(parseImageRef('localhost:5000/app:1')).toEqual({ name: 'localhost:5000/app', tag: '1' });
    expect(parseImageRef('ghcr.io/library/alpine')).toEqual({ name: 'ghcr.io/library/alpine' });
  });

  it('refuses what Docker refuses', () => {
    for (const bad of ['', 'Alpine', 'alpine:', 'alpine@sha256:xyz', 'a//b', 'alpine:-x']) expect(parseImageRef(bad)).toBeUndefined();
  });
});

describe('the lab catalog', () => {
  it('resolves every spelling of its images', async () => {
    const c = await loadCatalog();
    expect(c.resolve('swarmlab/whoami:1')?.options).toEqual({ version: '1' });
    expect(c.resolve('swarmlab/whoami')?.tag).toBe('latest');
    expect(c.resolve('docker.io/swarmlab/whoami:2')?.options).toEqual({ version: '2' });
    expect(c.resolve(`swarmlab/whoami:1@${DIGEST}`)?.options).toEqual({ version: '1' });
    expect(c.resolve('docker.io/library/alpine:3.19')?.name).toBe('alpine');
    expect(c.resolve(`alpine@${DIGEST}`)?.cmd).toEqual(['/bin/sh']);
    expect(c.resolve('busybox:1.36')?.programs.get('ping')).toBe('ping');
    expect(c.resolve('nginx:alpine')?.stopSignal).toBe('SIGQUIT');
    expect(c.resolve('swarmlab/web:red')?.options.startError).toMatch(/broken on purpose/);
  });

  it('knows nothing of other images or tags', async () => {
    const c = await loadCatalog();
    for (const ref of ['swarmlab/whoami:3', 'swarmlab/web', 'postgres', 'ghcr.io/library/alpine', 'whoami:1']) expect(c.resolve(ref)).toBeUndefined();
    expect(c.summary()).toBe('alpine, busybox, mysql, nginx, redis, swarmlab/crash:latest, swarmlab/web:blue|green|red, swarmlab/whoami:1|2|latest, wordpress');
  });

  it('says what is wrong with a bad catalog', () => {
    expect(() => ImageCatalog.parse({ images: [{ name: 'x', tags: '*' }] }, 'cat.json')).toThrow(/cat\.json: .*programs/s);
    expect(() => ImageCatalog.parse({ images: [{ name: 'x', tags: '*', programs: {}, colour: 1 }] })).toThrow(/colour/);
    expect(() => ImageCatalog.parse({ images: [{ name: 'docker.io/library/x', tags: '*', programs: {} }] })).toThrow(/not a short image name/);
    const twice = { name: 'x', tags: '*', programs: {} };
    expect(() => ImageCatalog.parse({ images: [twice, twice] })).toThrow(/listed twice/);
    expect(() => ImageCatalog.parse({ images: [{ name: 'x', tags: '*', programs: {}, env: ['NOVALUE'] }] })).toThrow(/NAME=value/);
  });

  it('must only name programs that are built in', () => {
    const catalog = ImageCatalog.parse({ images: [{ name: 'x', tags: '*', programs: { x: 'nonesuch' } }] });
    expect(() => new ProcessExecutor({ catalog, node: { id: 'n', hostname: 'h' } })).toThrow('the image catalog names programs that are not built in: nonesuch');
  });

  it('reports a missing file by its path', async () => {
    await expect(ImageCatalog.load('/nonexistent/catalog.json')).rejects.toThrow(/cannot read the image catalog \/nonexistent\/catalog\.json/);
  });
});
