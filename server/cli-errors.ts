import os from 'node:os';
import path from 'node:path';
import { ConfigError } from './errors.js';
import { MigrationFailed } from './storage/migrator.js';
import { CliInputError } from './cli-database.js';

/**
 * What the CLI prints when a command or the server's start fails: one line on stderr naming what
 * was wrong and what to do, a non-zero exit code, and the stack only when DEBUG is set. A person
 * at 3 am reads the line; a developer sets DEBUG=1 for the rest.
 */

/** A CLI mistake: exit 2, and the line points at the command's --help. */
export class UsageError extends Error {}

/** A failure whose message already says what was wrong and what to do: exit 1, the message as it is. */
export class CliFailure extends Error {}

export interface FailureLine {
  line: string;
  exitCode: number;
}

const FS_REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EROFS: 'the file system is read-only',
  ENOENT: 'no such file or directory',
  ENOSPC: 'the disk is full',
  EISDIR: 'it is a directory',
  EEXIST: 'it already exists',
  EMFILE: 'too many open files',
};

/** One line of a message that may have several (a parse error, a nested cause). */
function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, '; ').trim();
}

function within(file: string, dir: string): boolean {
  const rel = path.relative(dir, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** The setting a path comes from: the key files first (they may live outside DATA_DIR), then DATA_DIR. */
function settingOf(file: string): { name: string; value: string } | undefined {
  const dataDir = path.resolve(process.env.DATA_DIR ?? './data');
  const candidates = [
    { name: 'SECRET_FILE', value: process.env.SECRET_FILE },
    { name: 'CHECKPOINT_KEY_FILE', value: process.env.CHECKPOINT_KEY_FILE },
    { name: 'DATA_DIR', value: dataDir },
  ];
  return candidates
    .filter((c): c is { name: string; value: string } => !!c.value)
    .map((c) => ({ name: c.name, value: path.resolve(c.value) }))
    .find((c) => within(file, c.value) || within(c.value, file) || (c.name !== 'DATA_DIR' && within(file, path.dirname(c.value))));
}

/** A file-system error: which path, why, and which setting points there. */
function fsFailure(err: NodeJS.ErrnoException): string {
  const file = path.resolve(err.path!);
  // mkdir -p meets a file where a directory should be: EEXIST (or ENOTDIR further down).
  const why = err.code === 'EEXIST' && err.syscall === 'mkdir' ? 'a file is in the way of the directory (EEXIST)' : `${FS_REASONS[err.code!] ?? oneLine(err.message)} (${err.code})`;
  const user = os.userInfo().username;
  const setting = settingOf(file);
  const hint = setting
    ? `${setting.name} is ${setting.value}: make it a path ${user} can create and write (mkdir -p, chown), or set ${setting.name} to one`
    : `check the path and that ${user} may write there`;
  return `cannot ${err.syscall ?? 'use'} ${err.path}: ${why}; ${hint}`;
}

/** A URL setting that does not parse: name the variable holding it. */
function urlFailure(err: { input?: string }): string {
  const name = Object.keys(process.env).find((k) => /URL$/.test(k) && process.env[k] === err.input);
  return `${name ?? 'a URL setting'} "${err.input}" is not a URL; give a full URL, e.g. https://idp.example.com/.well-known/jwks.json`;
}

/** Errors of the server's listening socket: HOST and PORT. */
function listenFailure(err: NodeJS.ErrnoException & { hostname?: string; address?: string; port?: number }): string | undefined {
  // The main listener is HOST:PORT; METRICS_LISTEN (host:port) is the only other one.
  const metrics = process.env.METRICS_LISTEN;
  const named = [err.hostname, err.address, err.port].filter((v) => v !== undefined).map(String);
  const main = [process.env.HOST ?? '127.0.0.1', process.env.PORT ?? '8080'];
  const onMetrics = metrics !== undefined && named.some((v) => metrics.includes(v)) && !named.some((v) => main.includes(v));
  const host = onMetrics ? 'the host of METRICS_LISTEN' : 'HOST';
  const port = onMetrics ? 'the port of METRICS_LISTEN' : 'PORT';
  const addressHint = `set ${host} to an address of this machine: 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)`;
  if (err.syscall === 'getaddrinfo') return `${host} "${err.hostname ?? process.env.HOST}" does not resolve (${err.code}); ${addressHint}`;
  if (err.code === 'EADDRNOTAVAIL') return `${host} ${err.address ?? process.env.HOST} is not an address of this machine (EADDRNOTAVAIL); ${addressHint}`;
  if (err.code === 'EADDRINUSE') return `port ${err.port ?? process.env.PORT} is already in use (EADDRINUSE); stop what listens there or set ${port} to another port`;
  if (err.syscall === 'listen' && err.code === 'EACCES') return `port ${err.port ?? process.env.PORT} needs privileges this user lacks (EACCES); set ${port} to 1024 or above`;
  return undefined;
}

/** `fetch` failed before any answer: the URL, the cause (refused, unknown host, timeout) and what to check. */
export function unreachable(action: string, url: string, err: unknown): CliFailure {
  const cause = (err as { cause?: { code?: string; message?: string; errors?: Array<{ code?: string }> } }).cause;
  const code = cause?.code ?? cause?.errors?.[0]?.code;
  const why = code === 'ECONNREFUSED' ? 'connection refused (ECONNREFUSED)' : [cause?.message, code && `(${code})`].filter(Boolean).join(' ') || oneLine((err as Error).message);
  return new CliFailure(
    `switchyard ${action}: cannot reach the server at ${url}: ${why}; is it running there? Pass its URL with --url or SWITCHYARD_URL`,
  );
}

/** The one line and exit code for anything a command threw. */
export function failureLine(err: unknown, command: string | undefined, knownCommand: boolean): FailureLine {
  const e = err as NodeJS.ErrnoException;
  const message = oneLine(e?.message ?? String(err));
  if (err instanceof UsageError || err instanceof CliInputError || e?.code?.startsWith('ERR_PARSE_ARGS')) {
    const help = knownCommand ? `switchyard ${command} --help` : 'switchyard --help';
    return { line: `switchyard${knownCommand ? ` ${command}` : ''}: ${message}; see \`${help}\``, exitCode: 2 };
  }
  if (err instanceof CliFailure) return { line: message.startsWith('switchyard') ? message : `switchyard: ${message}`, exitCode: 1 };
  if (err instanceof ConfigError || err instanceof MigrationFailed) return { line: `switchyard: ${message}`, exitCode: 1 };
  const listen = listenFailure(e);
  if (listen) return { line: `switchyard: ${listen}`, exitCode: 1 };
  if (typeof e?.path === 'string' && e.code && e.code in FS_REASONS) return { line: `switchyard: ${fsFailure(e)}`, exitCode: 1 };
  if (e?.code === 'ERR_INVALID_URL') return { line: `switchyard: ${urlFailure(err as { input?: string })}`, exitCode: 1 };
  if (e?.code?.startsWith('SQLITE_')) {
    return { line: `switchyard${command ? ` ${command}` : ''}: the SQLite database refused: ${message} (${e.code}); check DATA_DIR points at a switchyard data dir (docs/runbook.md)`, exitCode: 1 };
  }
  return { line: `switchyard${command ? ` ${command}` : ''}: ${message} (unexpected; set DEBUG=1 for the stack)`, exitCode: 1 };
}
