import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '../log/logger.js';
import type { Clock } from '../ports/clock.js';
import type { HeldLease, LeaseStore } from '../ports/lease.js';

/**
 * Leadership's sense of time: elapsed milliseconds that never run backwards (a wall-clock step
 * back must not extend a term) and relative timers. Expiry itself is the lease store's business.
 */
export interface MonotonicTimers {
  monotonicMs(): number;
  /** Calls `fn` once, `ms` from now; returns a cancel function. */
  after(ms: number, fn: () => void): () => void;
}

/**
 * `performance.now()`, but never slower than the wall clock either: Linux's monotonic clock stops
 * while the machine is suspended, and a replica that slept through its TTL must count that sleep.
 * A forward step of the wall clock can only end a term early, which is safe.
 */
export function systemTimers(): MonotonicTimers {
  let perf = performance.now();
  let wall = Date.now();
  let elapsed = 0;
  return {
    monotonicMs() {
      const p = performance.now();
      const w = Date.now();
      elapsed += Math.max(p - perf, w - wall, 0);
      perf = p;
      wall = w;
      return elapsed;
    },
    after(ms, fn) {
      // Never keeps the process alive on its own: shutdown must not wait for a renewal tick.
      const t = setTimeout(fn, ms);
      t.unref();
      return () => clearTimeout(t);
    },
  };
}

/** Time from an injected clock (tests, drills and the sandbox run on a virtual one). */
export function clockTimers(clock: Clock): MonotonicTimers {
  return {
    monotonicMs: () => clock.now().getTime(),
    after: (ms, fn) => clock.at(new Date(clock.now().getTime() + ms), fn),
  };
}

/** A holder name unique to this process (a restarted replica is a new holder). */
export function replicaId(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

export const DEFAULT_LEASE_TTL_MS = 15_000;

/** One term of leadership: its fencing token, and a signal aborted the moment it ends. */
export interface LeaderTerm {
  readonly fencing: number;
  readonly signal: AbortSignal;
}

/** expired: no successful renewal in time (a pause, a slow database); refused: someone else holds it. */
export type LossReason = 'expired' | 'refused' | 'renew-failed' | 'stopped';

export interface LeadershipOptions {
  store: LeaseStore;
  /** Unique per process: `replicaId()`. */
  holder: string;
  /** The lease's name (default `leader`); replicas sharing a name share the timed work. */
  name?: string;
  /** How long a renewal holds the lease (default 15 s). */
  ttlMs?: number;
  /** How much sooner than the database this replica gives up, for clock-rate drift (default ttl/5). */
  safetyMarginMs?: number;
  /** Arms the ticks and measures terms: `systemTimers()` in production. */
  timers: MonotonicTimers;
  log: Logger;
}

interface ActiveTerm {
  readonly lease: HeldLease;
  /** Monotonic time at which this replica stops considering itself leader. */
  deadline: number;
  readonly controller: AbortController;
  readonly view: LeaderTerm;
}

type Hook<A> = (arg: A) => void | Promise<void>;

/**
 * Which replica runs timed work. Every ttl/3 a follower tries to take the lease and the leader
 * renews it. The leader counts itself leader only until `sent + ttl − margin` on its monotonic
 * clock, where `sent` is when its last successful renewal was SENT: the database set the expiry
 * no earlier than that, so this replica always stops before any other can start, with no
 * comparison of wall clocks. A renewal that errors or is refused ends the term at once.
 *
 * `isLeader()` reads the clock every time rather than a flag, so a process that was paused past
 * its deadline (SIGSTOP, GC, a frozen VM) answers false on waking, and fires `onLost`, in whichever
 * callback runs first, before any timed work acts. Timed work therefore asks at the moment it
 * acts: `whileLeader(fn)`. Work already in flight when the term ends sees `term.signal` aborted;
 * what it had already sent is for the store's compare-and-swap and the fencing token to settle.
 *
 * Failover with ttl T: a crashed leader is replaced within T + T/3 of dying (its lease lapses at
 * most T after its last renewal; a follower asks every T/3); a stopped one (`stop()` releases)
 * within T/3. A paused leader stops T − margin after its last renewal was sent and can be replaced
 * only T after it was written, so the two never overlap.
 */
export class Leadership {
  private readonly name: string;
  private readonly ttl: number;
  private readonly margin: number;
  private readonly interval: number;
  /** The lease this replica holds in the database, as far as it knows (released on stop). */
  private held: HeldLease | undefined;
  private active: ActiveTerm | undefined;
  private started = false;
  private stopping: Promise<void> | undefined;
  private cancelTick: (() => void) | undefined;
  private cancelDeadline: (() => void) | undefined;
  private lastOther: string | null | undefined;
  private readonly gained = new Set<Hook<LeaderTerm>>();
  private readonly lost = new Set<Hook<LossReason>>();

  constructor(private readonly opts: LeadershipOptions) {
    this.name = opts.name ?? 'leader';
    this.ttl = opts.ttlMs ?? DEFAULT_LEASE_TTL_MS;
    this.margin = opts.safetyMarginMs ?? Math.floor(this.ttl / 5);
    this.interval = Math.floor(this.ttl / 3);
    if (!(this.ttl >= 3) || !(this.margin >= 0) || this.margin + this.interval >= this.ttl) {
      throw new Error(`lease ttl ${this.ttl} ms with safety margin ${this.margin} ms leaves no time to renew (the margin must be under 2/3 of the ttl)`);
    }
  }

  /** Register before `start()`. Returns a function that unregisters. */
  onGained(fn: Hook<LeaderTerm>): () => void {
    this.gained.add(fn);
    return () => this.gained.delete(fn);
  }

  /** Called synchronously the moment a term ends, before `isLeader()` returns false to anyone. */
  onLost(fn: Hook<LossReason>): () => void {
    this.lost.add(fn);
    return () => this.lost.delete(fn);
  }

  start(): void {
    if (this.stopping) throw new Error('a stopped Leadership does not start again');
    if (this.started) return;
    this.started = true;
    this.tick();
  }

  /** Steps down (onLost: 'stopped') and releases the lease so a follower takes over within ttl/3. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  isLeader(): boolean {
    return this.check() !== undefined;
  }

  /** The current term, or undefined when not leader. */
  get term(): LeaderTerm | undefined {
    return this.check()?.view;
  }

  /** Runs `fn` only if this replica is leader now; otherwise does nothing and returns undefined. */
  whileLeader<T>(fn: (term: LeaderTerm) => T): T | undefined {
    const t = this.check();
    return t ? fn(t.view) : undefined;
  }

  /** Ends the term if its deadline has passed; the current term otherwise. */
  private check(): ActiveTerm | undefined {
    const t = this.active;
    if (t && this.opts.timers.monotonicMs() >= t.deadline) this.stepDown('expired');
    return this.active;
  }

  private tick(): void {
    this.cancelTick = undefined;
    if (this.stopping) return;
    const due = this.opts.timers.monotonicMs() + this.interval;
    const term = this.check();
    void (term ? this.renew(term) : this.acquire())
      .catch((err: unknown) => this.opts.log.error({ err, lease: this.name }, 'leadership tick failed'))
      .finally(() => {
        if (!this.stopping) this.cancelTick = this.opts.timers.after(Math.max(0, due - this.opts.timers.monotonicMs()), () => this.tick());
      });
  }

  private async acquire(): Promise<void> {
    const sent = this.opts.timers.monotonicMs();
    let r;
    try {
      r = await this.opts.store.tryAcquire(this.name, this.opts.holder, this.ttl);
    } catch (err) {
      this.opts.log.warn({ err, lease: this.name }, 'could not reach the lease; staying a follower');
      return;
    }
    if (!r.acquired) {
      this.held = undefined;
      if (r.holder !== this.lastOther) this.opts.log.info({ lease: this.name, leader: r.holder, until: r.expiresAt }, 'follower: another replica runs timed work');
      this.lastOther = r.holder;
      return;
    }
    this.held = r.lease;
    this.lastOther = undefined;
    // Stopped while asking: give it straight back rather than make a follower wait out the TTL.
    if (this.stopping) return this.releaseHeld();
    const deadline = sent + this.ttl - this.margin;
    if (this.opts.timers.monotonicMs() >= deadline) {
      this.opts.log.warn({ lease: this.name }, 'took the lease too slowly to use it; trying again');
      return;
    }
    this.begin(r.lease, deadline);
  }

  private async renew(term: ActiveTerm): Promise<void> {
    const sent = this.opts.timers.monotonicMs();
    let ok: boolean;
    try {
      ok = await this.opts.store.renew(term.lease, this.ttl);
    } catch (err) {
      this.opts.log.warn({ err, lease: this.name }, 'lease renewal failed');
      if (this.active === term) this.stepDown('renew-failed');
      return;
    }
    if (!ok) {
      if (this.held === term.lease) this.held = undefined;
      if (this.active === term) this.stepDown('refused');
      return;
    }
    // A term that ended while the renewal was in flight stays ended: the next tick starts a new one.
    if (this.check() !== term) return;
    term.deadline = Math.max(term.deadline, sent + this.ttl - this.margin);
    this.armDeadline(term);
  }

  private begin(lease: HeldLease, deadline: number): void {
    const controller = new AbortController();
    const term: ActiveTerm = { lease, deadline, controller, view: { fencing: lease.fencing, signal: controller.signal } };
    this.active = term;
    this.armDeadline(term);
    this.opts.log.info({ lease: this.name, holder: this.opts.holder, fencing: lease.fencing }, 'leader: timed work runs on this replica');
    for (const fn of [...this.gained]) this.call(fn, term.view, 'onGained');
  }

  private stepDown(reason: LossReason): void {
    const term = this.active;
    if (!term) return;
    this.active = undefined;
    this.cancelDeadline?.();
    this.cancelDeadline = undefined;
    term.controller.abort(new Error(`leadership lost: ${reason}`));
    this.opts.log.warn({ lease: this.name, fencing: term.lease.fencing, reason }, 'no longer leader: timed work stops');
    for (const fn of [...this.lost]) this.call(fn, reason, 'onLost');
  }

  /** Wakes at the deadline so onLost fires on time even if a renewal hangs; re-arms if woken early. */
  private armDeadline(term: ActiveTerm): void {
    this.cancelDeadline?.();
    const left = Math.max(0, term.deadline - this.opts.timers.monotonicMs());
    this.cancelDeadline = this.opts.timers.after(left, () => {
      this.cancelDeadline = undefined;
      if (this.check() === term) this.armDeadline(term);
    });
  }

  /** Does not wait for a tick in flight (a hung database must not hang shutdown); acquire() gives back what it gets after this. */
  private async shutdown(): Promise<void> {
    this.cancelTick?.();
    this.cancelTick = undefined;
    this.stepDown('stopped');
    await this.releaseHeld();
  }

  private async releaseHeld(): Promise<void> {
    const held = this.held;
    this.held = undefined;
    if (!held) return;
    try {
      await this.opts.store.release(held);
    } catch (err) {
      this.opts.log.warn({ err, lease: this.name }, 'could not release the lease; a follower takes over when it expires');
    }
  }

  private call<A>(fn: Hook<A>, arg: A, hook: string): void {
    try {
      const r = fn(arg);
      if (r instanceof Promise) r.catch((err: unknown) => this.opts.log.error({ err, hook }, 'leadership hook failed'));
    } catch (err) {
      this.opts.log.error({ err, hook }, 'leadership hook failed');
    }
  }
}
