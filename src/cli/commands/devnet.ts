import type { Command } from 'commander';
import { runDevnet } from '../devnet.js';
import { integerOption } from './options.js';

export function registerDevnetCommand(program: Command): void {
  program
    .command('devnet')
    .description(
      'start N local tesd nodes on 127.0.0.1 that bootstrap from the first; Ctrl+C stops them',
    )
    .option('--nodes <n>', 'how many nodes', integerOption(1, 100), 5)
    .option(
      '--base-port <port>',
      'UDP port of node 0; node i gets base+i',
      integerOption(1, 65_000),
      4433,
    )
    .option('--dir <dir>', "parent of the nodes' data directories", './devnet')
    .action(async (flags: { nodes: number; basePort: number; dir: string }) => {
      process.exitCode = await runDevnet({
        nodes: flags.nodes,
        basePort: flags.basePort,
        dir: flags.dir,
      });
    });
}
