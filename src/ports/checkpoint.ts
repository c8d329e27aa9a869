/**
 * Named points in the rollback path. The crash-recovery suite makes the process die at one
 * (SIGKILL) to prove a restart recovers from it; in production they do nothing.
 */
export const CHECKPOINTS = ['approved', 'executing', 'executed-unrecorded', 'verifying', 'posting'] as const;
export type Checkpoint = (typeof CHECKPOINTS)[number];
