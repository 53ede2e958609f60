import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { usd, type BatchCostResults } from '../bench/batch-cost';
import { repoRoot } from './helpers/models';
import { readme } from './helpers/readme';

/**
 * README "Batch scoring", the deployed part: its cost table is the one
 * `npm run bench -- batch-cost` measured (bench/results.json), and the state
 * machine's settings it states are serverless.yml's params.
 */

const results = JSON.parse(readFileSync(path.join(repoRoot, 'bench/results.json'), 'utf8')) as { batchCost: BatchCostResults };
const params = (parse(readFileSync(path.join(repoRoot, 'serverless.yml'), 'utf8')) as { params: { default: Record<string, unknown> } }).params.default;
const block = /<!-- batch-cost:[^>]*-->\n([\s\S]*?)<!-- \/batch-cost -->/.exec(readme)![1]!;
const rows = block
  .trim()
  .split('\n')
  .slice(2)
  .map((line) => line.split('|').slice(1, -1).map((cell) => cell.trim()));

describe('README, Batch scoring: deployed', () => {
  it("gives the bench's totals per million records, and its Lambda, Step Functions and API Gateway figures", () => {
    const { batch, onlineSingle, onlineBatch } = results.batchCost.perMillion;
    expect(rows.map((r) => r[5])).toEqual([batch, onlineSingle, onlineBatch].map((d) => `**${usd(d.total)}**`));
    expect(rows[0]![1]).toContain(usd(batch.lambdaCompute + batch.lambdaRequests));
    expect(rows[0]![2]).toBe(`${usd(batch.stepFunctions)} (${Math.round(batch.transitions)} transitions)`);
    expect(rows[0]![3]).toBe(usd(batch.s3));
    expect(rows[1]![1]).toBe(usd(onlineSingle.lambdaCompute + onlineSingle.lambdaRequests));
    expect(rows[1]![4]).toBe(usd(onlineSingle.apiGateway));
    expect(rows[2]![4]).toBe(usd(onlineBatch.apiGateway));
    expect(readme).toContain(`<!-- batch-cost: BENCHMARKS.md's figures, measured ${results.batchCost.measured.slice(0, 10)} -->`);
  });

  it("states the state machine's settings as serverless.yml's params set them", () => {
    expect(readme).toContain(`ItemBatcher: ${params.batchRangesPerBatch} ranges a run (batchRangesPerBatch)`);
    expect(readme).toContain(`MaxConcurrency ${params.batchMaxConcurrency} (batchMaxConcurrency)`);
    expect(readme).toContain(`ToleratedFailurePercentage ${params.batchToleratedFailurePercent} (batchToleratedFailurePercent)`);
    expect(params.batchRangeBytes).toBe(4 * 1024 * 1024);
    expect(readme).toContain('`freeBatchRecordsPerDay` 100,000, `proBatchRecordsPerDay` 10,000,000');
    expect([params.freeBatchRecordsPerDay, params.proBatchRecordsPerDay]).toEqual([100_000, 10_000_000]);
  });
});
