/** A user-facing CLI error: printed as its message alone, exit status 1. */
export class CliError extends Error {}
