import { functions, scheduled, serverlessFunctions, steps } from '../lib/http/routes';

/** serverless.yml's functions with and without the `image` param (README, "Container image"); the compiled template: tests/package/image.test.ts. */
const resolving = (image: string) => ({ resolveVariable: async (variable: string) => (variable.startsWith('param:image') ? image : undefined) });
const names = [...Object.keys(functions), ...Object.keys(scheduled), ...Object.keys(steps)];
const DIGEST = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/ml-inference@sha256:${'ab'.repeat(32)}`;

describe('the functions of serverless.yml (lib/http/routes.js)', () => {
  it('without the image param, are the zip handlers', async () => {
    const fns = (await serverlessFunctions(resolving(''))) as Record<string, { handler?: string; image?: unknown }>;
    expect(Object.keys(fns)).toEqual(names);
    for (const name of names) expect({ name, handler: fns[name]!.handler, image: fns[name]!.image }).toEqual({ name, handler: `handlers/${name}.handler`, image: undefined });
  });

  it('with an image by digest, are that image with the same handler as its command, and no handler', async () => {
    const fns = (await serverlessFunctions(resolving(DIGEST))) as Record<string, { handler?: string; image?: unknown }>;
    for (const name of names) expect({ name, handler: fns[name]!.handler, image: fns[name]!.image }).toEqual({ name, handler: undefined, image: { uri: DIGEST, command: [`handlers/${name}.handler`] } });
  });

  it.each([
    ['a tag', '123456789012.dkr.ecr.eu-west-1.amazonaws.com/ml-inference:latest'],
    ['a short digest', '123456789012.dkr.ecr.eu-west-1.amazonaws.com/ml-inference@sha256:abc'],
    ['no repository', '@sha256:' + 'ab'.repeat(32)],
  ])('refuses %s, naming the form it takes', async (_, image) => {
    await expect(serverlessFunctions(resolving(image))).rejects.toThrow(`the image param must be <uri>@sha256:<64 hex digits> (README, "Container image"), not ${JSON.stringify(image)}`);
  });
});
