import { Transports, ask, echo } from '../test/net/quic-fixtures.ts';
import { isDecodeError } from '../src/net/frame-codec.ts';
const ts = new Transports();
const a = await ts.start({ logLevel: 'warn' }); const b = await ts.start({ stallTimeoutMs: 200, logLevel: 'warn' });
b.listen((input, remote, reply) => { console.log('handler', isDecodeError(input) ? input : 'frame'); echo(input, remote, reply); });
const out = await ask(a, b.localAddr, Uint8Array.of(0, 0, 0, 10, 1, 2));
console.log(out);
await ts.closeAll();
