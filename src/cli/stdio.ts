// Standard output and error for the compile commands. The first touch of process.stdout or process.stderr loads
// Node's stream, net and tty modules, about 10 ms of a small `convert`; fs.writeSync on the descriptor needs none.
// A descriptor another process made non-blocking can refuse a write (EAGAIN): from then on that descriptor goes
// through its stream, which queues, so the order of what was written stays intact.
import { writeSync } from 'node:fs';

const streamed = new Set<number>();

export function writeStdout(text: string): void {
  write(1, text);
}

export function writeStderr(text: string): void {
  write(2, text);
}

function write(fd: 1 | 2, text: string): void {
  const stream = () => (fd === 1 ? process.stdout : process.stderr);
  if (streamed.has(fd)) {
    stream().write(text);
    return;
  }
  const bytes = Buffer.from(text, 'utf8');
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(fd, bytes, offset);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // The reader went away (`convert | head`): nothing more can be said there.
      if (code === 'EPIPE') return;
      if (code !== 'EAGAIN') throw e;
      streamed.add(fd);
      stream().write(bytes.subarray(offset));
      return;
    }
  }
}
