import type { Command } from 'commander';
import { toHex } from '../../core/bytes.js';
import { TesdError } from '../../core/errors.js';
import { DEFAULT_DIFFICULTY } from '../../core/proof-of-work.js';
import { readIdentity, type LoadedIdentity } from '../identity-file.js';
import { rotateIdentity } from '../identity-rotation.js';
import { MAX_DIFFICULTY } from '../run-config.js';
import { DEFAULT_DATA_DIR, integerOption } from './options.js';

interface IdentityFlags {
  dataDir: string;
  rotate?: boolean;
  difficulty?: number;
  json?: boolean;
}

function describe(loaded: LoadedIdentity) {
  return {
    id: loaded.identity.idHex,
    pk: toHex(loaded.identity.pk),
    nonce: loaded.identity.nonce,
    work_bits: loaded.workBits,
    file: loaded.path,
  };
}

export function registerIdentityCommand(program: Command): void {
  program
    .command('identity')
    .description("print the node's id, pk and nonce from its data directory")
    .option('--data-dir <dir>', 'the data directory', DEFAULT_DATA_DIR)
    .option('--rotate', 'make a new identity (the node must be stopped); its peers are evicted')
    .option(
      '--difficulty <bits>',
      `proof of work of a new identity (default ${DEFAULT_DIFFICULTY})`,
      integerOption(0, MAX_DIFFICULTY),
    )
    .option('--json', 'print as JSON')
    .action((flags: IdentityFlags) => {
      if (flags.rotate === true) {
        const result = rotateIdentity(flags.dataDir, flags.difficulty ?? DEFAULT_DIFFICULTY);
        const view = {
          ...describe(result.next),
          previous_id: result.previous?.identity.idHex ?? null,
          peers_evicted: result.evicted,
        };
        if (flags.json === true) process.stdout.write(JSON.stringify(view) + '\n');
        else
          process.stdout.write(
            `new identity ${view.id} (was ${view.previous_id ?? 'none'}); ` +
              `${view.peers_evicted} peers evicted: start with --bootstrap to refill the table\n`,
          );
        return;
      }
      const loaded = readIdentity(flags.dataDir);
      if (loaded === null)
        throw new TesdError(
          'identity_missing',
          `no identity in ${flags.dataDir}: tesd run creates one at first start`,
        );
      const view = describe(loaded);
      if (flags.json === true) process.stdout.write(JSON.stringify(view) + '\n');
      else
        process.stdout.write(
          `id     ${view.id}\npk     ${view.pk}\nnonce  ${view.nonce}  (${view.work_bits} bits of work)\n`,
        );
    });
}
