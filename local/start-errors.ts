// Failures a person can fix when starting the local runtime, each one clear line (no stack).
import type { Server } from 'node:http';
import { ScimitarError } from '../lambdas/core/model/errors.ts';

/** A port the runtime needs is taken (often by another `npm start`). */
export class PortInUseError extends ScimitarError {
  constructor(
    readonly port: number,
    what: string,
    fix: string,
    options?: ErrorOptions,
  ) {
    super(
      `port ${port} (${what}) is already in use, perhaps by another \`npm start\`: stop that, or ${fix}`,
      options,
    );
    this.name = 'PortInUseError';
  }
}

export function isAddressInUse(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE';
}

/** Listens on 127.0.0.1:port; a taken port becomes a PortInUseError naming `what` and the fix. */
export async function listenOn(server: Server, port: number, what: string, fix: string): Promise<void> {
  await new Promise<void>((listening, failed) => {
    server.once('error', (err) =>
      failed(isAddressInUse(err) ? new PortInUseError(port, what, fix, { cause: err }) : err),
    );
    server.listen(port, '127.0.0.1', () => listening());
  });
}
