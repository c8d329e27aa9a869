import type { SlackEmulator, SocketDelivery } from '../../src/sandbox/slack-emulator.js';
import { SlackDriver } from './slack-driver.js';

/**
 * Plays Slack's part in Socket Mode: the same clicks, commands and view submissions as
 * SlackDriver, delivered as envelopes over the emulator's WebSocket instead of signed POSTs. The
 * answer is a Response as an HTTP delivery would get one: 200 with the ack's payload, or 504
 * when Slack would have given up (no ack after three redeliveries).
 */
export class SocketSlackDriver extends SlackDriver {
  /** Every delivery, oldest first: how many sends each took. */
  readonly deliveries: SocketDelivery[] = [];

  constructor(private readonly emulator: SlackEmulator) {
    // No Request URL and no signing secret in Socket Mode.
    super(emulator, 'http://socket-mode.invalid', 'unused-in-socket-mode');
  }

  override async post(body: string): Promise<Response> {
    const delivered = await this.emulator.deliverOverSocket(body);
    this.deliveries.push(delivered);
    return new Response(delivered.response === undefined ? '' : JSON.stringify(delivered.response), { status: delivered.acked ? 200 : 504, headers: { 'content-type': 'application/json' } });
  }
}
