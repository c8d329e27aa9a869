/**
 * Keeping message nodes across renders: a node is rebuilt only when its message (or what it
 * depends on) changed, so a message edited in place (chat.update) is replaced where it stands and
 * a click in progress on another one survives.
 */
import { ui } from './state.js';

/** A node from the cache when `key` is unchanged, else freshly built. */
export function cached(next, key, build) {
  const node = ui.nodes.get(key) ?? build();
  next.set(key, node);
  return node;
}

/** Puts `nodes` in `container` in order, touching only what changed. */
export function reconcile(container, nodes) {
  const wanted = new Set(nodes);
  for (const child of [...container.childNodes]) if (!wanted.has(child)) child.remove();
  nodes.forEach((node, i) => {
    const current = container.childNodes[i];
    if (current !== node) container.insertBefore(node, current ?? null);
  });
  while (container.childNodes.length > nodes.length) container.lastChild.remove();
}

/** Repaints `container`, following the bottom if the person was there, else keeping their place. */
export function keepScroll(container, paint, forceBottom) {
  const nearBottom = container.scrollHeight - container.scrollTop - container.clientHeight < 60;
  const top = container.scrollTop;
  paint();
  if (forceBottom || nearBottom) container.scrollTop = container.scrollHeight;
  else container.scrollTop = top;
}
