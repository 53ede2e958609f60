/** A refusal the user can act on: printed as it is, exit code 2. */
export class Refused extends Error {}
