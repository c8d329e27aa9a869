/**
 * The durable floor under alert intake: what any server must do to keep every alert it
 * acknowledges, and nothing more. node:http, JSON.parse, then in one SQLite transaction (WAL,
 * synchronous=NORMAL, as Backstop opens its database) one insert per alert and one hash-chained,
 * HMAC-sealed audit row for the delivery; then the answer. Backstop's intake is compared with this.
 */
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import Database from 'better-sqlite3';

export function startDurableServer(dbFile: string): ReturnType<typeof createServer> {
  const db = new Database(dbFile);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(`CREATE TABLE IF NOT EXISTS alerts (fingerprint TEXT NOT NULL, starts_at TEXT NOT NULL, status TEXT NOT NULL, labels TEXT NOT NULL, annotations TEXT NOT NULL, received_at TEXT NOT NULL, PRIMARY KEY (fingerprint, starts_at));
    CREATE TABLE IF NOT EXISTS audit (seq INTEGER PRIMARY KEY, at TEXT NOT NULL, details TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);`);
  const insAlert = db.prepare('INSERT INTO alerts (fingerprint, starts_at, status, labels, annotations, received_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING');
  const insAudit = db.prepare('INSERT INTO audit (at, details, prev_hash, hash) VALUES (?, ?, ?, ?)');
  const key = 'durable-floor-key-0123456789abcdef';
  let prev = '0'.repeat(64);
  interface Delivery { alerts: { fingerprint: string; startsAt: string; status: string; labels: unknown; annotations: unknown }[] }
  const store = db.transaction((d: Delivery, now: string) => {
    let fresh = 0;
    for (const a of d.alerts) fresh += insAlert.run(a.fingerprint, a.startsAt, a.status, JSON.stringify(a.labels), JSON.stringify(a.annotations), now).changes;
    const details = JSON.stringify({ received: d.alerts.length, new: fresh });
    const hash = createHmac('sha256', key).update(`${prev}\n${now}\n${details}`).digest('hex');
    insAudit.run(now, details, prev, hash);
    prev = hash;
    return fresh;
  });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: string;
      try {
        const fresh = store(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Delivery, new Date().toISOString());
        body = JSON.stringify({ ok: true, new: fresh });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      } catch (err) {
        body = JSON.stringify({ ok: false, error: String(err) });
        res.writeHead(400, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      }
      res.end(body);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.on('close', () => db.close());
  return server;
}
