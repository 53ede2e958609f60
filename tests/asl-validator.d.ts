// asl-validator 4.0.0 ships no type declarations: what tests/batch-state-machine.test.ts uses of it (its README's API).
declare module 'asl-validator' {
  interface Validation {
    isValid: boolean;
    errors: { message: string }[];
    errorsText(separator?: string): string;
  }
  export default function aslValidator(definition: unknown, options?: { checkPaths?: boolean; checkArn?: boolean }): Validation;
}
