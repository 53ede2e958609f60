import { Writable } from 'node:stream';
import { cli } from '../../scripts/score/main';

/** Runs the batch scorer's CLI in this process as `npm run score -- …` does, the rows thrown away, standard error collected. */
export async function score(...argv: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const stdout = new Writable({ write: (_chunk, _encoding, done) => done() });
  const code = await cli(argv, { stdout, stderr: { write: (text: string) => (stderr += text) } });
  return { code, stderr };
}
