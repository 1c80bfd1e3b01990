// The lab's built-in images. Their data (names, tags, default commands, which built-in program
// each command runs) lives in a JSON file outside core, read at runtime; this module checks it and
// answers "what is this image reference?" the way a registry would, or not at all.

import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { parseImageRef } from './image-ref.ts';

export type ProgramOptions = Readonly<Record<string, string | number | boolean>>;

const EnvEntry = z.string().regex(/^[^=]+=/, 'an environment entry is NAME=value');

const TagSchema = z.strictObject({
  description: z.string().optional(),
  /** Behaviour baked into this tag (a colour, a version), handed to the program. */
  options: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  env: z.array(EnvEntry).optional(),
});

const ImageSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  /** "*": any tag is this image (alpine:3.19, nginx:alpine); else the tags that exist. */
  tags: z.union([z.literal('*'), z.record(z.string(), TagSchema)]),
  entrypoint: z.array(z.string()).optional(),
  cmd: z.array(z.string()).optional(),
  env: z.array(EnvEntry).optional(),
  stopSignal: z.string().optional(),
  /** Command name (argv[0]'s last path component) → the built-in program that runs it. */
  programs: z.record(z.string(), z.string()),
});

const CatalogSchema = z.strictObject({
  $comment: z.string().optional(),
  images: z.array(ImageSchema),
});

export type CatalogData = z.infer<typeof CatalogSchema>;

/** One image at one tag, as the executor runs it. */
export interface CatalogImage {
  /** The catalog's name ("alpine", "swarmlab/whoami"). */
  name: string;
  tag: string;
  entrypoint: readonly string[];
  cmd: readonly string[];
  env: readonly string[];
  stopSignal?: string;
  programs: ReadonlyMap<string, string>;
  options: ProgramOptions;
}

export class ImageCatalog {
  private readonly images: Map<string, CatalogData['images'][number]>;

  private constructor(data: CatalogData) {
    this.images = new Map(data.images.map((i) => [i.name, i]));
  }

  /** Checks catalog data; the error names what is wrong and where. */
  static parse(data: unknown, source = 'image catalog'): ImageCatalog {
    const r = CatalogSchema.safeParse(data);
    if (!r.success) throw new Error(`${source}: ${z.prettifyError(r.error)}`);
    const seen = new Set<string>();
    for (const image of r.data.images) {
      if (parseImageRef(image.name)?.name !== image.name) throw new Error(`${source}: "${image.name}" is not a short image name`);
      if (seen.has(image.name)) throw new Error(`${source}: image "${image.name}" is listed twice`);
      seen.add(image.name);
    }
    return new ImageCatalog(r.data);
  }

  static async load(path: string): Promise<ImageCatalog> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      throw new Error(`cannot read the image catalog ${path}: ${(err as Error).message}`);
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (err) {
      throw new Error(`${path}: not JSON: ${(err as Error).message}`);
    }
    return ImageCatalog.parse(data, path);
  }

  /**
   * The image a reference names, or undefined if the catalog has no such image or tag. A digest is
   * accepted but not checked (the lab has no registry); with a digest and no tag, "latest" is meant.
   */
  resolve(reference: string): CatalogImage | undefined {
    const ref = parseImageRef(reference);
    if (!ref) return undefined;
    const image = this.images.get(ref.name);
    if (!image) return undefined;
    const tag = ref.tag ?? 'latest';
    const tagData = image.tags === '*' ? {} : image.tags[tag];
    if (!tagData) return undefined;
    return {
      name: image.name,
      tag,
      entrypoint: image.entrypoint ?? [],
      cmd: image.cmd ?? [],
      env: [...(image.env ?? []), ...(tagData.env ?? [])],
      ...(image.stopSignal !== undefined ? { stopSignal: image.stopSignal } : {}),
      programs: new Map(Object.entries(image.programs)),
      options: tagData.options ?? {},
    };
  }

  /** What the catalog offers, for error messages: "alpine, swarmlab/web:blue|green|red, ...". */
  summary(): string {
    return [...this.images.values()]
      .map((i) => (i.tags === '*' ? i.name : `${i.name}:${Object.keys(i.tags).join('|')}`))
      .sort()
      .join(', ');
  }

  /**
   * The references a person can pick, with what each is: every tag of an image with a list of
   * them (`swarmlab/web:red`), and the bare name of an image that takes any tag (`alpine`).
   */
  references(): { name: string; description: string }[] {
    return [...this.images.values()].flatMap((i) =>
      i.tags === '*'
        ? [{ name: i.name, description: i.description ?? '' }]
        : Object.entries(i.tags).map(([tag, t]) => ({ name: `${i.name}:${tag}`, description: t.description ? `${i.description ?? i.name}: ${t.description}` : (i.description ?? '') })),
    );
  }

  /** Every built-in program some image runs, to check them against the ones that exist. */
  programNames(): Set<string> {
    return new Set([...this.images.values()].flatMap((i) => Object.values(i.programs)));
  }
}
