import { createServer, type RequestListener, type Server } from 'node:http';

/** Largest request body any route reads: an Alertmanager delivery of 1000 alerts fits. */
export const BODY_LIMIT = 1_048_576;

/**
 * How long an idle keep-alive connection stays open. The client must always give up first, or
 * it may send a delivery on a connection we are closing and see "connection reset by peer".
 * Alertmanager and Prometheus (prometheus/common) keep idle connections for 5 minutes, Go's
 * default transport for 90 s, load balancers usually 60 s; Node's default is 5 s (Node 20
 * closes 1 s after the timeout it advertises).
 */
export const KEEP_ALIVE_TIMEOUT_MS = 310_000;

/**
 * In Node 20 both timers start when a request's first byte arrives, not when the connection
 * goes idle, so they need not exceed the keep-alive timeout. They cut off clients that send
 * headers or a body slowly enough to pin connections (Node's defaults: 60 s and 5 min).
 */
export const HEADERS_TIMEOUT_MS = 20_000;
export const REQUEST_TIMEOUT_MS = 60_000;
/** How often Node checks those two timers (default 30 s, which would double them). */
export const TIMEOUT_CHECK_INTERVAL_MS = 5_000;

/** Creates the server with these limits. */
export function createLimitedServer(listener: RequestListener): Server {
  const server = createServer({ headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS }, listener);
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  return server;
}
