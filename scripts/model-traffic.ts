// npm run model:traffic -- <name> [--split 1.0.0=90,1.1.0=10] [--shadow 1.2.0|none]
//   [--label stable=1.0.0]... [--sticky api_key|none] [--promote 1.1.0]
// Changes models/<name>/traffic.json (README, "Releasing a new version"),
// checked as the service checks it, and prints what the model now serves.
// Deploy to apply it. Without options it prints the current traffic.
import { parseArgs } from 'node:util';
import { changeTraffic, describeTraffic, readTrafficFile, versionsOf, writeTrafficFile } from './traffic-file';

const USAGE = 'usage: npm run model:traffic -- <name> [--split v=w,...] [--shadow v|none] [--label name=v]... [--sticky api_key|none] [--promote v]';

export function cli(argv: string[]): number {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { split: { type: 'string' }, shadow: { type: 'string' }, label: { type: 'string', multiple: true }, sticky: { type: 'string' }, promote: { type: 'string' } },
    });
    const [name, ...extra] = positionals;
    if (!name || extra.length > 0) {
      console.error(USAGE);
      return 2;
    }
    const versions = versionsOf(name);
    if (versions.length === 0) throw new Error(`no model named "${name}"`);
    const current = readTrafficFile(name);
    if (Object.keys(values).length > 0) writeTrafficFile(name, changeTraffic(current, versions.at(-1)!, values));
    console.log(`${name}: ${describeTraffic(readTrafficFile(name), versions.at(-1)!)}`);
    if (Object.keys(values).length > 0) console.log('written; a running npm start serves it from its next request; deploy (npx serverless deploy --stage <stage>) to apply it to a stage');
    return 0;
  } catch (error) {
    console.error(`model:traffic: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
}

if (require.main === module) process.exit(cli(process.argv.slice(2)));
