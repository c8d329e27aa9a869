import type { IncomingMessage, ServerResponse } from 'node:http';
import { BODY_LIMIT } from './limits.js';

export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`body larger than ${limit} bytes`);
  }
}

/** True when the request declares a body over `limit`: refuse it before reading a byte. */
export function declaresTooLarge(req: IncomingMessage, limit = BODY_LIMIT): boolean {
  const declared = req.headers['content-length'];
  return declared !== undefined && Number(declared) > limit;
}

/**
 * Reads a request body up to `limit` bytes; larger bodies are refused, not truncated. Past the
 * limit the rest is read and dropped rather than left on the wire, where it would stall the
 * next request on a keep-alive connection; callers answer with `refuseTooLarge`, which closes it.
 */
export function readRawBody(req: IncomingMessage, limit = BODY_LIMIT): Promise<Buffer> {
  if (declaresTooLarge(req, limit)) return Promise.reject(new BodyTooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      chunks.length = 0;
      done();
      req.resume();
      reject(new BodyTooLarge(limit));
    };
    const onEnd = () => {
      done();
      resolve(Buffer.concat(chunks));
    };
    const onError = (err: Error) => {
      done();
      reject(err);
    };
    const onClose = () => onError(new Error('the client closed the connection before the body ended'));
    const done = () => {
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
    };
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}

export async function readBody(req: IncomingMessage, limit = BODY_LIMIT): Promise<string> {
  return (await readRawBody(req, limit)).toString('utf8');
}

/**
 * 413, then the connection is closed: the rest of the body is not worth reading, and the
 * client must not send its next request after it on the same connection.
 */
export function refuseTooLarge(res: ServerResponse, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(413, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), connection: 'close' });
  res.end(text);
}
