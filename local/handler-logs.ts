// Where the local runtime's handlers log: Powertools' JSON lines, exactly as on Lambda, but in a
// file (e.g. .scimitar/runtime.log) so the terminal keeps to the runtime's own human-readable
// lines; `npm start -- --verbose` puts them back on the terminal.
import { Console } from 'node:console';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';

export type HandlerLogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';

export interface HandlerLogs {
  /** A Powertools logger for one function (`scimitar-<name>`). */
  logger(name: string): Logger;
  close(): Promise<void>;
}

/**
 * Loggers for the handlers. With `file`, every record is appended there; without, they print to
 * the terminal as on Lambda.
 */
export function handlerLogs(options: { level: HandlerLogLevel; file?: string }): HandlerLogs {
  let stream: WriteStream | undefined;
  let toFile: Console | undefined;
  if (options.file) {
    mkdirSync(dirname(options.file), { recursive: true });
    stream = createWriteStream(options.file, { flags: 'a' });
    toFile = new Console({ stdout: stream, stderr: stream });
    // As Powertools patches its own console: trace prints a record, never a stack.
    toFile.trace = (...args: unknown[]) => toFile?.log(...args);
  }
  return {
    logger: (name) => {
      const logger = new Logger({ serviceName: `scimitar-${name}`, logLevel: options.level });
      // Powertools prints through its own Console on stdout and stderr and offers no option for
      // another stream; this is the one place that points it elsewhere (checked in the tests).
      if (toFile) (logger as unknown as { console: Console }).console = toFile;
      return logger;
    },
    close: () =>
      new Promise<void>((closed) => {
        if (!stream) return closed();
        stream.end(() => closed());
      }),
  };
}
