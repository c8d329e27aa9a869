/** Fills what a target cannot tell (deploy time, last-good version) from reported deploys. */
export interface KnownVersions {
  current: string | null;
  lastGood: string | null;
  deployedAt: Date | null;
}

export interface DeployRecord {
  version: string;
  at: string;
}

/**
 * `deploys` newest first. The last-good version is the newest earlier deploy that is neither
 * the current version nor one Backstop rolled back away from.
 */
export function fillFromDeploys(v: KnownVersions, deploys: readonly DeployRecord[], rolledBackFrom: ReadonlySet<string>): KnownVersions {
  const current = v.current ?? deploys[0]?.version ?? null;
  const currentDeploy = deploys.find((d) => d.version === current);
  const deployedAt = v.deployedAt ?? (currentDeploy ? new Date(currentDeploy.at) : null);
  let lastGood = v.lastGood;
  if (!lastGood && currentDeploy) {
    const earlier = deploys.filter((d) => Date.parse(d.at) < Date.parse(currentDeploy.at));
    lastGood = earlier.find((d) => d.version !== current && !rolledBackFrom.has(d.version))?.version ?? null;
  }
  return { current, lastGood, deployedAt };
}
