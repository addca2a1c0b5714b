import { pino, destination as pinoDestination, stdTimeFunctions, type Logger as PinoLogger, type DestinationStream } from 'pino';

export type Logger = PinoLogger;

/**
 * Structured JSON logs. Anything that could carry a credential is redacted by path as a
 * second line of defence; the first is never logging headers or bodies at all.
 */
export function createLogger(level = process.env.LOG_LEVEL ?? 'info', destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'switchyard' },
      timestamp: stdTimeFunctions.isoTime,
      redact: {
        paths: ['authorization', 'token', 'sdkKey', 'secret', '*.authorization', '*.token', '*.secret', 'req.headers.authorization'],
        censor: '[redacted]',
      },
    },
    destination ?? pinoDestination({ dest: 1, sync: false }),
  );
}
