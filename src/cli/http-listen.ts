import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HostPort } from '../core/address.js';
import { TesdError } from '../core/errors.js';
import { formatListenAddress } from './addresses.js';

/** Listens, turning "port in use" and friends into one clear TesdError; resolves the bound address. */
export function listenOn(server: Server, address: HostPort, flag: string): Promise<HostPort> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      const where = formatListenAddress(address);
      reject(
        new TesdError(
          'listen_failed',
          `cannot listen on ${flag} ${where}: ${listenErrorReason(error)}`,
        ),
      );
    };
    server.once('error', onError);
    server.listen(address.port, address.host, () => {
      server.off('error', onError);
      const bound = server.address() as AddressInfo;
      resolve({ host: address.host, port: bound.port });
    });
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** What a failed bind or listen means, in the words a user needs. */
export function listenErrorReason(error: NodeJS.ErrnoException): string {
  if (error.code === 'EADDRINUSE') return 'the port is in use';
  if (error.code === 'EADDRNOTAVAIL') return 'no such local address';
  if (error.code === 'EACCES') return 'permission denied';
  return error.message;
}
