import type { Incident } from '../domain/incident.js';

/** Where postmortem drafts go (a folder today); returns where people can find this one. */
export interface PostmortemSink {
  write(incident: Incident, markdown: string): Promise<string>;
}
