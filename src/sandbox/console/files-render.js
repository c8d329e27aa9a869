/**
 * Files shared with a message (`files.uploadV2` puts a `files` array on it): images inline,
 * anything else as a download link with its name and size. Pure, through the injected `h`.
 *
 * Slack's `url_private` needs the bot token, so the page fetches bytes through the console
 * (`ctx.fileUrl(file)`); without it a file is listed by name only.
 */

// Raster formats only: an SVG can carry script, so it is offered as a download instead.
const IMAGE_TYPES = new Set(['png', 'jpg', 'jpeg', 'gif', 'webp']);

function isObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** 1234567 → "1.2 MB"; Slack shows sizes the same way. */
export function formatSize(bytes) {
  if (!Number.isFinite(bytes) || bytes < 0) return '';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB'];
  let n = bytes / 1024;
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i += 1;
  }
  return `${n < 10 ? n.toFixed(1) : Math.round(n)} ${units[i]}`;
}

export function isImageFile(file) {
  const type = String(file.filetype ?? '').toLowerCase() || String(file.name ?? '').split('.').pop()?.toLowerCase();
  const mime = String(file.mimetype ?? '').toLowerCase();
  return IMAGE_TYPES.has(type) || (mime.startsWith('image/') && mime !== 'image/svg+xml');
}

function renderFile(h, file, ctx) {
  const name = String(file.name || file.title || file.id || 'file');
  const title = String(file.title || name);
  const size = formatSize(Number(file.size));
  const href = typeof ctx.fileUrl === 'function' && typeof file.id === 'string' ? ctx.fileUrl(file) : null;
  const caption = h('div', { class: 'msg-file-caption' }, [
    h('span', { class: 'msg-file-name' }, [title]),
    size ? h('span', { class: 'msg-file-size' }, [` · ${size}`]) : null,
  ]);
  if (href && isImageFile(file)) {
    return h('figure', { class: 'msg-file msg-file-image', 'data-testid': 'file-image', 'data-file-id': file.id }, [
      h('img', { class: 'msg-file-img', src: href, alt: title, loading: 'lazy' }, []),
      h('figcaption', {}, [caption]),
    ]);
  }
  const icon = h('span', { class: 'msg-file-icon', 'aria-hidden': 'true' }, ['📄']);
  const label = [icon, h('span', { class: 'msg-file-name' }, [name]), size ? h('span', { class: 'msg-file-size' }, [size]) : null];
  if (!href) return h('div', { class: 'msg-file msg-file-link', 'data-testid': 'file-link' }, label);
  return h('a', { class: 'msg-file msg-file-link', 'data-testid': 'file-link', 'data-file-id': file.id, href, download: name, title: `Download ${name}` }, label);
}

/** The files of a message as one element, or null when it has none. */
export function renderFiles(h, files, ctx = {}) {
  const list = Array.isArray(files) ? files.filter(isObject) : [];
  if (list.length === 0) return null;
  return h('div', { class: 'msg-files' }, list.map((f) => renderFile(h, f, ctx)));
}
