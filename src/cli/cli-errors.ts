import { TesdError } from '../core/errors.js';

/**
 * One line for any error that reaches the top of a command (SPEC §6: errors a user can cause
 * get one clear line and a non-zero exit, never a stack trace). TESD_DEBUG=1 adds the stack
 * of unexpected errors, which are bugs.
 */
export function describeError(error: unknown): string {
  if (error instanceof TesdError) return oneLine(error.message);
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof code === 'string') return oneLine(message);
  return oneLine(`unexpected error: ${message} (TESD_DEBUG=1 shows where)`);
}

export function reportError(error: unknown): void {
  process.stderr.write(`tesd: ${describeError(error)}\n`);
  if (process.env.TESD_DEBUG === '1' && error instanceof Error && error.stack)
    process.stderr.write(`${error.stack}\n`);
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
