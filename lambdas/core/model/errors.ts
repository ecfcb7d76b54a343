// Base error of the domain core: every error scimitar raises on purpose is a ScimitarError,
// so handlers can tell an expected failure from a bug with `instanceof`.

export class ScimitarError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ScimitarError';
  }
}

/** A user-written input (config file, event, request) does not satisfy its schema. */
export class ValidationError extends ScimitarError {
  /** One line per problem, each naming where, what was given and what is allowed. */
  readonly problems: readonly string[];

  constructor(subject: string, problems: readonly string[], options?: ErrorOptions) {
    super(`${subject}:\n${problems.map((p) => `  - ${p}`).join('\n')}`, options);
    this.name = 'ValidationError';
    this.problems = problems;
  }
}
