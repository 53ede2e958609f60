import type { Datatype } from './datatypes';
import type { Dim } from './shape';

/** One graph input or output, as a manifest declares it: its name, protocol datatype and shape (dynamic dimensions as names or null). */
export interface TensorSpec {
  name: string;
  datatype: Datatype;
  shape: Dim[];
}
