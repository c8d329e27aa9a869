/**
 * Element factories for the console's renderers: `h(tag, attrs, children)`.
 *  - `domH(document)` builds real elements with createElement / createTextNode (the page uses it,
 *    so message text never goes through an HTML parser);
 *  - `htmlH` builds an HTML string in which every text and attribute value is escaped (tests use it).
 * Children that are strings are always text; tag and attribute names are checked.
 */

const NAME = /^[a-z][a-z0-9-]*$/;
const VOID = new Set(['br', 'hr', 'img', 'input']);

export function escapeHtml(value) {
  return String(value)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

function flatChildren(children, out = []) {
  if (children === null || children === undefined || children === false) return out;
  if (Array.isArray(children)) {
    for (const c of children) flatChildren(c, out);
    return out;
  }
  out.push(children);
  return out;
}

function checkName(kind, name) {
  if (!NAME.test(name)) throw new Error(`invalid ${kind} name: ${name}`);
}

/** String factory: returns `{ html }`; strings among `children` are escaped text. */
export function htmlH(tag, attrs, children) {
  checkName('tag', tag);
  let html = `<${tag}`;
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    checkName('attribute', key);
    html += value === true ? ` ${key}` : ` ${key}="${escapeHtml(value)}"`;
  }
  html += '>';
  if (VOID.has(tag)) return { html };
  for (const child of flatChildren(children)) html += typeof child === 'string' ? escapeHtml(child) : child.html;
  return { html: `${html}</${tag}>` };
}

/** The HTML of a node built with `htmlH`. */
export function toHtml(node) {
  return typeof node === 'string' ? escapeHtml(node) : node.html;
}

/** DOM factory over the given document: strings become text nodes, never markup. */
export function domH(doc) {
  return (tag, attrs, children) => {
    checkName('tag', tag);
    const el = doc.createElement(tag);
    for (const [key, value] of Object.entries(attrs ?? {})) {
      if (value === null || value === undefined || value === false) continue;
      checkName('attribute', key);
      el.setAttribute(key, value === true ? '' : String(value));
    }
    for (const child of flatChildren(children)) el.append(typeof child === 'string' ? doc.createTextNode(child) : child);
    return el;
  };
}
