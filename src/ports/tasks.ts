/** Work started after a reply (ack) is sent; tracked so shutdown and tests can wait for it. */
export interface Tasks {
  run(name: string, work: () => Promise<unknown>): void;
  idle(): Promise<void>;
}
