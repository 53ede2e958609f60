import path from 'node:path';
import { parseArgs } from 'node:util';
import { baselineFromModels } from '../lib/dataplane/baselines';
import { runMonitor, writeReports } from '../lib/monitoring/monitor';
import type { Report } from '../lib/monitoring/report';
import { reportHtml } from '../lib/monitoring/report-html';
import { storeAt } from '../lib/monitoring/store';
import { settings } from '../lib/settings';

/**
 * npm run monitor -- [--model m] [--from folder|s3://bucket/prefix] [--window 24h] [--json]
 *
 * The scheduled monitor's code, run locally (README, "Monitoring"): reads
 * the window's captures and feedback (by default CAPTURE_DIR, else the
 * `captures/` folder `npm start` writes), compares each model version with
 * its baseline from the models folder, writes the reports (JSON and HTML)
 * into the same store under reports/, and prints them: a table, or with
 * --json the report as one JSON object (with --model; the version with the
 * most records when several were captured).
 */
const USAGE = 'usage: npm run monitor -- [--model <name>] [--from <folder | s3://bucket/prefix>] [--window <hours>h | <days>d] [--json]';

function hoursOf(text: string): number | undefined {
  const match = /^([0-9]{1,5})([hd])$/.exec(text);
  if (!match) return undefined;
  const hours = Number(match[1]) * (match[2] === 'd' ? 24 : 1);
  return hours > 0 ? hours : undefined;
}

const fixed = (x: number | null | undefined, digits = 3) => (x === null || x === undefined ? '-' : x.toFixed(digits));

function table(report: Report, page: string): string {
  const lines = [
    `${report.model} ${report.version}: ${report.records} records from ${report.window.from} to ${report.window.to}`,
    ...report.features.map((f) => `  ${f.name.padEnd(20)} ${f.type.padEnd(12)} PSI ${fixed(f.psi).padStart(7)}  ${f.status.padEnd(9)} ${f.test ? `${f.test.name} p=${f.test.p_value.toPrecision(3)}` : ''}`),
    `  prediction           PSI ${fixed(report.prediction?.psi)}  ${report.prediction?.status ?? 'no baseline'}`,
    `  feedback ${report.quality.feedback}, joined ${report.quality.joined}: accuracy ${fixed(report.quality.accuracy)}, ROC AUC ${fixed(report.quality.roc_auc)}${report.quality.mae !== undefined ? `, MAE ${fixed(report.quality.mae)}, RMSE ${fixed(report.quality.rmse)}` : ''}`,
    ...report.notes.map((n) => `  note: ${n}`),
    `  drifting: ${report.drifting.length > 0 ? report.drifting.join(', ') : 'none'}`,
    `  report: ${page}`,
  ];
  return `${lines.join('\n')}\n`;
}

export async function cli(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { model: { type: 'string' }, from: { type: 'string' }, window: { type: 'string' }, json: { type: 'boolean' } } }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const hours = values.window === undefined ? settings.monitorWindowHours() : hoursOf(values.window);
  if (hours === undefined) {
    process.stderr.write(`--window must be hours or days, like 24h or 7d\n${USAGE}\n`);
    return 2;
  }
  const location = values.from ?? settings.captureDir() ?? path.resolve('captures');
  const store = storeAt(location);
  try {
    const run = await runMonitor({ store, model: values.model, hours, baselineOf: baselineFromModels });
    if (run.reports.length === 0) {
      process.stderr.write(`no captures of ${values.model ?? 'any model'} in ${store.location} from the last ${hours} h (is CAPTURE_SAMPLE above 0?)\n`);
      return 1;
    }
    const summaries = await writeReports(store, run.reports, reportHtml);
    const pages = new Map(summaries.flatMap((s) => s.versions.map((v) => [`${s.model} ${v.version}`, v.page] as const)));
    const where = (r: Report) => (location.startsWith('s3://') ? `${store.location}${pages.get(`${r.model} ${r.version}`)}` : path.join(store.location, pages.get(`${r.model} ${r.version}`)!));
    if (values.json) {
      const [chosen] = [...run.reports].sort((a, b) => b.records - a.records);
      process.stdout.write(`${JSON.stringify({ ...chosen!, page: where(chosen!) })}\n`);
    } else {
      for (const r of run.reports) process.stdout.write(table(r, where(r)));
      const s = run.stats;
      process.stdout.write(`read ${s.inferenceLines} capture and ${s.feedbackLines} feedback lines in ${s.ms} ms${s.skippedLines > 0 ? ` (${s.skippedLines} unreadable lines skipped)` : ''}\n`);
    }
    return 0;
  } catch (error) {
    process.stderr.write(`monitor: ${(error as Error).message}\n`);
    return 1;
  }
}

if (require.main === module) void cli(process.argv.slice(2)).then((code) => process.exit(code));
