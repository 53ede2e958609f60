import Ajv from 'ajv';
import { errorBodySchema } from '../../lib/http/error-response';

/** The one error body of every route (README, "Errors"), as lib/http publishes its schema. */
export { errorBodySchema };

export const isErrorBody = new Ajv({ allErrors: true }).compile(errorBodySchema);

/** The fields of an error body a test reads. */
export interface ErrorBody {
  error: string;
  code: string;
  details: { path: string; problem: string }[];
  request_id: string;
}
