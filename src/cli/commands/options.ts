import { InvalidArgumentError } from 'commander';

/** Option parsers shared by the commands; commander turns their errors into one line. */

export function integerOption(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    return n;
  };
}

export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export const DEFAULT_DATA_DIR = './tesd-data';
export const DEFAULT_ADMIN = '127.0.0.1:4480';
