/** The one base class for errors this project throws: a stable `code` plus a message with context. */
export class TesdError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'TesdError';
  }
}

/** Programmer errors crash loudly: an invariant that cannot fail unless the code is wrong. */
export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new TesdError('invariant', `invariant violated: ${message}`);
}
