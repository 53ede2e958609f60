// npm run model:check: verifies every folder under models/ (manifest against
// ONNX graph, sha256, parity fixture). Exits 1 if any folder fails.
import path from 'node:path';
import { checkModelFolder } from '../lib/model-check';
import { listModels, modelsRoot } from '../lib/model-catalog';

async function main(): Promise<number> {
  let failed = 0;
  for (const { name, versions } of listModels()) {
    for (const version of versions) {
      const report = await checkModelFolder(path.join(modelsRoot(), name, version));
      const ok = report.problems.length === 0;
      if (!ok) failed++;
      console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}/${version}: ${report.cases} parity cases, worst |Δ| ${report.worstDelta.toExponential(2)}`);
      for (const problem of report.problems) console.log(`     ${problem}`);
    }
  }
  return failed === 0 ? 0 : 1;
}

main().then((code) => process.exit(code));
