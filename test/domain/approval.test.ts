import { plainText } from '../../src/domain/said.js';
import { mrkdwn } from '../../src/slack/views/mrkdwn.js';
import { describe, expect, it } from 'vitest';
import { checkApprover, whoMayApprove } from '../../src/domain/approval.js';

const policy = { users: ['U1', 'U2'], groups: ['S1'] };
const members = new Map([['S1', ['U7', 'U8']]]);

describe('approver rules', () => {
  it('accepts a configured user', () => {
    expect(checkApprover('U1', 'alert', policy, members)).toEqual({ ok: true, via: 'user' });
  });
  it('accepts a member of a configured user group', () => {
    expect(checkApprover('U8', 'alert', policy, members)).toEqual({ ok: true, via: 'group' });
  });
  it('refuses someone who is neither, and names who may approve', () => {
    const r = checkApprover('U9', 'alert', policy, members);
    expect(r).toMatchObject({ ok: false, code: 'not_an_approver' });
    // People stay data (mentions), never Slack markup, in the domain.
    expect(!r.ok && r.message).toContainEqual({ user: 'U1' });
    expect(!r.ok && r.message).toContainEqual({ group: 'S1' });
  });
  it('refuses the requester even when they are an approver', () => {
    expect(checkApprover('U1', 'U1', policy, members)).toMatchObject({ ok: false, code: 'requester_cannot_approve' });
  });
  it('refuses a group member when the group could not be resolved', () => {
    expect(checkApprover('U8', 'alert', policy, new Map())).toMatchObject({ ok: false, code: 'not_an_approver' });
  });
  it('lists approvers readably', () => {
    expect(mrkdwn(whoMayApprove({ users: ['U1'], groups: [] }))).toBe('<@U1>');
    expect(mrkdwn(whoMayApprove({ users: ['U1', 'U2'], groups: ['S1'] }))).toBe('<@U1>, <@U2> or members of <!subteam^S1>');
    expect(plainText(whoMayApprove({ users: ['U1', 'U2'], groups: ['S1'] }), (id) => ({ U1: 'alice', S1: 'sre-oncall' })[id])).toBe('@alice, @U2 or members of @sre-oncall');
  });
});
