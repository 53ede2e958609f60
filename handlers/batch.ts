import { runStep, type StepEvent } from '../lib/batch-jobs/steps';

/**
 * The batch state machine's steps (resources/batch.js; README, "Batch
 * scoring"): plan, score a batch of ranges, finish. Step Functions invokes it
 * with {step, job, …} and keeps what it answers in the execution's state; a
 * thrown error fails the step with its name (RecordLimitExceeded, InvalidCsv),
 * which the job's GET reports.
 */
export const handler = async (event: StepEvent): Promise<unknown> => runStep(event);
