import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Leadership, type LossReason, type MonotonicTimers } from '../../src/app/leadership.js';
import { createLogger } from '../../src/log/logger.js';
import type { LeaseStore } from '../../src/ports/lease.js';
import { openDb } from '../../src/store/db.js';
import { SqliteLeaseStore } from '../../src/store/lease.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { Store } from '../../src/store/store.js';
import { TEST_AUDIT_KEY } from '../support/audit-key.js';
import { FakeClock } from '../support/fake-clock.js';

const TTL = 15_000;
const log = createLogger({ level: 'silent' });

/**
 * One replica's timers on the shared fake clock, which can be frozen like a SIGSTOPped process:
 * time (and its monotonic clock) goes on, but none of its callbacks run until it resumes, and
 * then they all run at once, in the order they fell due.
 */
class PausableTimers implements MonotonicTimers {
  private paused = false;
  private held: (() => void)[] = [];
  constructor(private readonly clock: FakeClock) {}
  monotonicMs(): number {
    return this.clock.now().getTime();
  }
  after(ms: number, fn: () => void): () => void {
    return this.clock.at(new Date(this.clock.now().getTime() + ms), () => (this.paused ? this.held.push(fn) : fn()));
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
    for (const fn of this.held.splice(0)) fn();
  }
}

/** A replica: its own connection to the shared file, its own timers, and a record of what it saw. */
function replica(file: string, clock: FakeClock, holder: string, wrap: (s: LeaseStore) => LeaseStore = (s) => s) {
  const sqlite = new Store(openDb(file), { auditKey: TEST_AUDIT_KEY, auditHead: null });
  opened.push(sqlite);
  const timers = new PausableTimers(clock);
  const leadership = new Leadership({ store: wrap(new SqliteLeaseStore(new SqliteStore(sqlite), clock)), holder, ttlMs: TTL, timers, log });
  const events: string[] = [];
  const fencing: number[] = [];
  const signals: AbortSignal[] = [];
  leadership.onGained((term) => {
    events.push(`gained:${term.fencing}`);
    fencing.push(term.fencing);
    signals.push(term.signal);
  });
  leadership.onLost((reason: LossReason) => void events.push(`lost:${reason}`));
  started.push(leadership);
  return { leadership, timers, events, fencing, signals };
}

const opened: Store[] = [];
const started: Leadership[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((l) => l.stop()));
  for (const s of opened.splice(0)) s.db.close();
});

function setup() {
  const file = join(mkdtempSync(join(tmpdir(), 'backstop-leader-')), 'b.db');
  const clock = new FakeClock();
  /** Lets time pass in small steps, letting each replica's database answers land as they would. */
  async function run(ms: number) {
    for (let left = ms; left > 0; left -= 250) {
      clock.advance(Math.min(250, left));
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return { file, clock, run };
}

describe('Leadership: one replica runs timed work', () => {
  it('lets exactly one of two replicas lead, and keeps it there while it renews', async () => {
    const { file, clock, run } = setup();
    const a = replica(file, clock, 'a');
    const b = replica(file, clock, 'b');
    a.leadership.start();
    b.leadership.start();
    for (let i = 0; i < 40; i++) {
      await run(1_000);
      expect([a, b].filter((r) => r.leadership.isLeader())).toHaveLength(1);
    }
    const [leader, follower] = a.leadership.isLeader() ? [a, b] : [b, a];
    expect(leader.events).toEqual(['gained:1']);
    expect(follower.events).toEqual([]);
  });

  it('hands over within ttl/3 when the leader stops, with a larger fencing token', async () => {
    const { file, clock, run } = setup();
    const a = replica(file, clock, 'a');
    a.leadership.start();
    await run(250);
    const b = replica(file, clock, 'b');
    b.leadership.start();
    await run(10_000);
    expect(a.leadership.isLeader()).toBe(true);

    await a.leadership.stop();
    expect(a.leadership.isLeader()).toBe(false);
    expect(a.events).toEqual(['gained:1', 'lost:stopped']);
    expect(a.signals[0]!.aborted).toBe(true);
    await run(TTL / 3);
    expect(b.leadership.isLeader()).toBe(true);
    expect(b.fencing).toEqual([2]);
  });

  it('steps a leader paused past its TTL down on waking, before its timed work acts; the other has taken over', async () => {
    const { file, clock, run } = setup();
    const a = replica(file, clock, 'a');
    a.leadership.start();
    await run(250);
    const b = replica(file, clock, 'b');
    b.leadership.start();
    await run(1_000);
    expect(a.leadership.isLeader()).toBe(true);

    // The leader's own timed work (an analysis tick, an automatic rollback) falls due during the pause.
    a.timers.after(2_000, () => {
      const acted = a.leadership.whileLeader(() => a.events.push('timed work ran'));
      if (acted === undefined) a.events.push('timed work skipped');
    });
    a.timers.pause();
    // Its lease was last written at 0 s; nobody else may take it before it lapses at 15 s.
    await run(13_000);
    expect(b.leadership.isLeader()).toBe(false);
    await run(TTL / 3);
    expect(b.leadership.isLeader()).toBe(true);

    a.timers.resume();
    // The first thing it did on waking was its timed work's check, and that found it no longer leader.
    expect(a.events).toEqual(['gained:1', 'lost:expired', 'timed work skipped']);
    expect(a.signals[0]!.aborted).toBe(true);
    expect(a.leadership.isLeader()).toBe(false);
    expect(a.leadership.whileLeader(() => 'acted')).toBeUndefined();
    expect(b.fencing[0]).toBeGreaterThan(a.fencing[0]!);

    // It stays a follower: the lease is the other replica's now.
    await run(30_000);
    expect(a.leadership.isLeader()).toBe(false);
    expect(b.leadership.isLeader()).toBe(true);
    expect(a.events).toEqual(['gained:1', 'lost:expired', 'timed work skipped']);
  });

  it('gives each new leader a larger fencing token, takeover after takeover', async () => {
    const { file, clock, run } = setup();
    const tokens: number[] = [];
    let previous = replica(file, clock, 'r0');
    previous.leadership.start();
    await run(1_000);
    tokens.push(...previous.fencing);
    for (let i = 1; i <= 3; i++) {
      const next = replica(file, clock, `r${i}`);
      next.leadership.start();
      await run(1_000);
      // Alternately a clean stop and a hang: the lease changes hands either way.
      if (i % 2) await previous.leadership.stop();
      else previous.timers.pause();
      await run(TTL + TTL / 3);
      expect(next.leadership.isLeader()).toBe(true);
      tokens.push(...next.fencing);
      previous = next;
    }
    expect(tokens).toHaveLength(4);
    expect([...tokens].sort((x, y) => x - y)).toEqual(tokens);
    expect(new Set(tokens).size).toBe(4);
  });

  it('steps down at once when a renewal fails, and leads again (new term) once the database answers', async () => {
    const { file, clock, run } = setup();
    let down = false;
    const a = replica(file, clock, 'a', (s) => ({
      tryAcquire: (...args) => (down ? Promise.reject(new Error('connection refused')) : s.tryAcquire(...args)),
      renew: (...args) => (down ? Promise.reject(new Error('connection refused')) : s.renew(...args)),
      release: (t) => s.release(t),
      current: (n) => s.current(n),
    }));
    a.leadership.start();
    await run(1_000);
    expect(a.leadership.isLeader()).toBe(true);
    down = true;
    await run(TTL / 3);
    expect(a.leadership.isLeader()).toBe(false);
    expect(a.events).toEqual(['gained:1', 'lost:renew-failed']);
    down = false;
    await run(TTL / 3);
    expect(a.leadership.isLeader()).toBe(true);
    expect(a.events).toEqual(['gained:1', 'lost:renew-failed', 'gained:2']);
  });

  it('ends the term at its deadline when a renewal never answers', async () => {
    const { file, clock, run } = setup();
    let hang = false;
    const a = replica(file, clock, 'a', (s) => ({
      tryAcquire: (...args) => s.tryAcquire(...args),
      renew: (...args) => (hang ? new Promise<boolean>(() => undefined) : s.renew(...args)),
      release: (t) => s.release(t),
      current: (n) => s.current(n),
    }));
    a.leadership.start();
    await run(1_000);
    hang = true;
    // Last good renewal sent at 0 s: leader until 15 s − 3 s margin, and not a moment longer.
    await run(10_500);
    expect(a.leadership.isLeader()).toBe(true);
    await run(750);
    expect(a.events).toEqual(['gained:1', 'lost:expired']);
    expect(a.leadership.isLeader()).toBe(false);
  });

  it('counts a term from when its renewal was sent, not from when the slow answer came', async () => {
    const { file, clock, run } = setup();
    let renewals = 0;
    const a = replica(file, clock, 'a', (s) => ({
      tryAcquire: (...args) => s.tryAcquire(...args),
      // The renewal sent at 5 s is written at once but answered 4 s later; later ones never answer.
      renew: async (...args) => {
        if (++renewals > 1) return new Promise<boolean>(() => undefined);
        const ok = await s.renew(...args);
        await new Promise<void>((resolve) => clock.at(new Date(clock.now().getTime() + 4_000), resolve));
        return ok;
      },
      release: (t) => s.release(t),
      current: (n) => s.current(n),
    }));
    a.leadership.start();
    // Renewal sent at 5 s: leader until 5 + 15 − 3 = 17 s, though the answer came at 9 s.
    await run(16_750);
    expect(a.leadership.isLeader()).toBe(true);
    await run(500);
    expect(a.leadership.isLeader()).toBe(false);
    expect(a.events).toEqual(['gained:1', 'lost:expired']);
  });

  it('gives back a lease that arrives after stop(), so the follower need not wait out the TTL', async () => {
    const { file, clock, run } = setup();
    let answer!: () => void;
    const a = replica(file, clock, 'a', (s) => ({
      tryAcquire: async (...args) => {
        await new Promise<void>((resolve) => (answer = resolve));
        return s.tryAcquire(...args);
      },
      renew: (...args) => s.renew(...args),
      release: (t) => s.release(t),
      current: (n) => s.current(n),
    }));
    a.leadership.start();
    await a.leadership.stop();
    answer();
    await run(250);
    expect(a.events).toEqual([]);
    const b = replica(file, clock, 'b');
    b.leadership.start();
    await run(250);
    expect(b.leadership.isLeader()).toBe(true);
  });

  it('refuses a safety margin that leaves no time to renew', () => {
    const store = {} as LeaseStore;
    const timers = new PausableTimers(new FakeClock());
    expect(() => new Leadership({ store, holder: 'a', ttlMs: 15_000, safetyMarginMs: 10_000, timers, log })).toThrow(/margin must be under 2\/3/);
  });
});
