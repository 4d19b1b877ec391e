/** Where the daemon's lines go: status on stdout, warnings on stderr, one line each. */
export interface DaemonLog {
  info(line: string): void;
  warn(line: string): void;
}

function stamp(): string {
  return new Date().toISOString().slice(11, 19);
}

export const consoleLog: DaemonLog = {
  info: (line) => void process.stdout.write(`${stamp()} ${line}\n`),
  warn: (line) => void process.stderr.write(`${stamp()} warning: ${line}\n`),
};
