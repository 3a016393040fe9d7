import { connect as netConnect, Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { KafkaSocketFactory } from '@tasks/kafka';

/**
 * A kafkajs socket factory whose sockets can all be cut at once, as if the
 * process had died or the network gone: `kill()` destroys the open ones and
 * refuses new ones until `heal()`.
 */
export class CrashableSockets {
  readonly #open = new Set<Socket>();
  #dead = false;

  readonly factory: KafkaSocketFactory = ({ host, port, ssl, onConnect }) => {
    if (this.#dead) {
      const socket = new Socket();
      const error = Object.assign(new Error(`connect ECONNREFUSED ${host}:${port} (killed)`), {
        code: 'ECONNREFUSED',
      });
      process.nextTick(() => socket.destroy(error));
      return socket;
    }
    const socket = ssl
      ? tlsConnect({ host, port, ...ssl }, onConnect)
      : netConnect({ host, port }, onConnect);
    socket.setKeepAlive(true, 60_000);
    this.#open.add(socket);
    socket.on('close', () => this.#open.delete(socket));
    return socket;
  };

  /** Lets new connections through again (the network came back). */
  heal(): void {
    this.#dead = false;
  }

  kill(): void {
    this.#dead = true;
    // With an error: kafkajs listens for 'error' and 'end', not 'close'.
    for (const socket of this.#open) {
      socket.destroy(
        Object.assign(new Error('connection killed by the test'), { code: 'ECONNRESET' }),
      );
    }
    this.#open.clear();
  }
}
