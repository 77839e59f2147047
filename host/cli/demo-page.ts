/**
 * The page `safe browser-demo` serves next to dist/browser/: a small Safe client in a browser,
 * using only `safe-wasi.js` (no framework, no bundler). It stores a picked file with a progress
 * bar, fetches any safe:// URL (showing text, an image, or a download link, and listing a
 * FilesContainer or NRS site), all through the relay whose URL the server puts in the page.
 */

/** The demo page, for the relay at `relay` and the sample `site` the demo stored (if any). */
export function demoPage(relay: string, site: string | undefined): string {
  const config = JSON.stringify({ relay, site: site ?? null }).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>safe-wasi in a browser</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; margin: 2rem auto; max-width: 52rem; padding: 0 1rem; color: #1d2330; }
  h1 { font-size: 1.4rem; margin-bottom: .2rem; }
  section { border: 1px solid #d5dae3; border-radius: 8px; padding: .8rem 1rem; margin: 1rem 0; }
  h2 { font-size: 1rem; margin: 0 0 .5rem; }
  code, .url { font-family: ui-monospace, monospace; font-size: 13px; word-break: break-all; }
  input[type=text] { width: 70%; font: 13px ui-monospace, monospace; padding: .3rem; }
  progress { width: 100%; }
  #network, #status { color: #5a6275; margin: .2rem 0; }
  #status.ok { color: #17803d; } #status.err { color: #b3261e; }
  table { border-collapse: collapse; width: 100%; font-size: 13px; }
  td, th { text-align: left; padding: .15rem .4rem; border-bottom: 1px solid #eceff4; }
  pre { background: #f5f7fa; padding: .5rem; max-height: 14rem; overflow: auto; white-space: pre-wrap; }
  img { max-width: 100%; max-height: 14rem; }
</style>
<h1>safe-wasi in a browser</h1>
<p id="network">loading the client…</p>
<p id="status"></p>
<section>
  <h2>Store a file</h2>
  <input id="file" type="file"> <button id="store" disabled>Store</button>
  <progress id="progress" value="0" max="1"></progress>
  <div id="stored" class="url"></div>
</section>
<section>
  <h2>Fetch a URL</h2>
  <input id="url" type="text" placeholder="safe://…"> <button id="fetch" disabled>Fetch</button>
  <div id="result"></div>
</section>
<script type="module">
import { Safe, SafeError, SafeUrl } from './safe-wasi.js';
const config = ${config};
const $ = (id) => document.getElementById(id);
const status = (text, kind = '') => { $('status').textContent = text; $('status').className = kind; };
const describe = (e) => e instanceof SafeError ? e.code + ': ' + e.message : String(e);
const safe = new Safe(null, 120);
window.safe = safe;
try {
  await safe.connect({ relay: config.relay });
  $('network').textContent = 'connected through the relay ' + config.relay + ': ' + safe.network.nodes + ' nodes in the network map';
  $('store').disabled = $('fetch').disabled = false;
  if (config.site) { $('url').value = config.site; }
} catch (e) { $('network').textContent = ''; status('could not connect: ' + describe(e), 'err'); }

$('store').onclick = async () => {
  const file = $('file').files[0];
  if (!file) { status('pick a file first', 'err'); return; }
  $('progress').value = 0; $('stored').textContent = '';
  try {
    // The picked file's MIME type where the XOR-URL format has a code for it (so an image
    // fetched back shows as one); anything else is stored as Raw.
    const known = (type) => { try { return !!SafeUrl.encode({ xorname: '00'.repeat(32), contentType: type, dataType: 'File' }); } catch { return false; } };
    const url = await safe.storeBlob(file, file.type && known(file.type) ? file.type : undefined, { onProgress: (p) => { $('progress').max = p.total || 1; $('progress').value = p.done; } });
    $('stored').textContent = url;
    $('url').value = url;
    status('stored ' + file.name + ' (' + file.size + ' bytes)', 'ok');
  } catch (e) { status('store failed: ' + describe(e), 'err'); }
};

// Everything from the network goes in as text, never as HTML.
const cell = (row, text, tag = 'td') => { const c = document.createElement(tag); c.textContent = text; row.append(c); return c; };
const listing = (url, map) => {
  const table = document.createElement('table');
  const head = table.insertRow();
  for (const h of ['path', 'type', 'size']) cell(head, h, 'th');
  for (const [path, info] of Object.entries(map)) {
    const row = table.insertRow();
    const link = document.createElement('a');
    link.href = '#';
    link.dataset.url = url.split('?')[0] + path;
    link.textContent = path;
    row.insertCell().append(link);
    cell(row, info.type ?? '');
    cell(row, info.size ?? '');
  }
  return table;
};

/** The bytes as text, or null when they are not UTF-8 (shown as a download instead). */
const utf8 = (bytes) => { try { return new TextDecoder('utf-8', { fatal: true }).decode(bytes); } catch { return null; } };

async function show(url) {
  const out = $('result');
  out.textContent = 'fetching…';
  try {
    const data = await safe.fetch(url);
    if (data.type === 'PublicFile') {
      const type = data.mediaType ?? data.metadata?.type ?? '';
      const blob = new Blob([data.data], { type });
      if (type.startsWith('image/')) {
        out.innerHTML = '<img alt="">';
        out.firstChild.src = URL.createObjectURL(blob);
      } else if ((type.startsWith('text/') || type === 'application/json' || type === 'Raw' || type === '') && utf8(data.data) !== null) {
        out.innerHTML = '<pre></pre>';
        out.firstChild.textContent = utf8(data.data);
      } else {
        const link = document.createElement('a');
        link.download = 'file';
        link.href = URL.createObjectURL(blob);
        link.textContent = 'download (' + data.data.length + ' bytes)';
        out.replaceChildren(link);
      }
      status('a file of ' + data.data.length + ' bytes (' + (type || 'raw') + ')', 'ok');
    } else if (data.type === 'FilesContainer') {
      out.replaceChildren(listing(data.xorurl ?? url, data.filesMap));
      status('a FilesContainer with ' + Object.keys(data.filesMap).length + ' entries', 'ok');
    } else {
      out.innerHTML = '<pre></pre>';
      out.firstChild.textContent = JSON.stringify(data, (k, v) => typeof v === 'bigint' ? String(v) : v instanceof Uint8Array ? '(' + v.length + ' bytes)' : v, 2);
      status('a ' + data.type, 'ok');
    }
  } catch (e) { out.textContent = ''; status('fetch failed: ' + describe(e), 'err'); }
}
$('fetch').onclick = () => show($('url').value.trim());
$('result').onclick = (event) => {
  const link = event.target.closest('a[data-url]');
  if (!link) return;
  event.preventDefault();
  $('url').value = link.dataset.url;
  show(link.dataset.url);
};
if (config.site) show(config.site);
</script>
</html>
`;
}
