// The part of `ws` (a dependency of @kubernetes/client-node, without bundled types) that test/deploy/exec.test.ts uses
// to play the API server's exec endpoint.
declare module 'ws' {
  import type { IncomingMessage } from 'node:http';
  import type { Duplex } from 'node:stream';
  export class WebSocket {
    readonly protocol: string;
    send(data: Buffer): void;
    close(): void;
    on(event: 'message', f: (data: Buffer) => void): void;
  }
  export class WebSocketServer {
    constructor(o: { noServer: true; handleProtocols?: (protocols: Set<string>) => string | false });
    handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, cb: (ws: WebSocket) => void): void;
  }
}
