import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Incident } from '../domain/incident.js';
import type { PostmortemSink } from '../ports/postmortem-sink.js';

/** Postmortem drafts as markdown files in the policy's `postmortemDir`, one per incident. */
export class FolderPostmortems implements PostmortemSink {
  constructor(private readonly dir: string) {}

  async write(incident: Incident, markdown: string): Promise<string> {
    const dir = resolve(this.dir);
    await mkdir(dir, { recursive: true });
    const file = join(dir, `${incident.id}.md`);
    await writeFile(file, markdown);
    return file;
  }
}
