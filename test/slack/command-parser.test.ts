import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../src/slack/command-parser.js';

describe('/backstop parsing', () => {
  it('parses every command', () => {
    expect(parseCommand('')).toEqual({ ok: true, command: { kind: 'help' } });
    expect(parseCommand('status')).toEqual({ ok: true, command: { kind: 'status' } });
    expect(parseCommand('status fraud-scorer')).toEqual({ ok: true, command: { kind: 'status', service: 'fraud-scorer' } });
    expect(parseCommand('  rollback fraud-scorer  accuracy fell to 0.8 ')).toEqual({ ok: true, command: { kind: 'rollback', service: 'fraud-scorer', reason: 'accuracy fell to 0.8' } });
    expect(parseCommand('history fraud-scorer')).toEqual({ ok: true, command: { kind: 'history', service: 'fraud-scorer' } });
    expect(parseCommand('resolve')).toEqual({ ok: true, command: { kind: 'resolve', service: null } });
    expect(parseCommand('RESOLVE fraud-scorer')).toEqual({ ok: true, command: { kind: 'resolve', service: 'fraud-scorer' } });
  });
  it('demands a reason for a manual rollback', () => {
    const r = parseCommand('rollback fraud-scorer');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toContain('say why');
  });
  it('explains unknown commands with the usage', () => {
    const r = parseCommand('yolo');
    expect(!r.ok && r.error).toContain('/backstop rollback <service> <reason>');
  });
});
