/** The `never` check of an exhaustive switch: a case left out fails the type check. */
export function unreachable(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}
