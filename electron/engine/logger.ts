/** The engine logs through this; the CLI prints it, the app forwards it, tests collect it. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** A logger that writes `level: message` lines to a stream, below `level` dropped. */
export function streamLogger(stream: NodeJS.WritableStream, level: LogLevel = 'info', prefix = ''): Logger {
  const write = (at: LogLevel, message: string) => {
    if (ORDER[at] >= ORDER[level]) stream.write(`${prefix}${at === 'info' ? '' : `${at}: `}${message}\n`);
  };
  return {
    debug: (m) => write('debug', m),
    info: (m) => write('info', m),
    warn: (m) => write('warn', m),
    error: (m) => write('error', m),
  };
}
