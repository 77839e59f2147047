// Prints each Rust crate's module graph and fails (exit 1) when imports inside a crate run in a
// cycle. `node scripts/module-cycles.mjs [--quiet]`; `npm test` runs it in its lint step.
//
// Hand-written rather than cargo-modules: that tool needs a full rust-analyzer build of the
// workspace (minutes on two cores, and another compiler than the project's), while this reads
// the sources in well under a second. It understands what the crates here use and no more:
// - the module tree from `mod x;` (x.rs or x/mod.rs, or the file its `#[path = "..."]` names)
//   starting at src/lib.rs and src/main.rs;
// - inline modules (`mod tests { ... }`, `mod bindings { generate!(..) }`) are modules too;
// - an edge A -> B whenever A names an item of B by a path: `use crate::b::..`, `super::..`,
//   `self::..`, a child module's name, including `use` trees with braces; a path through a
//   `pub use` re-export (`crate::Error` when lib.rs re-exports `error::Error`) is followed to
//   the module that defines the item, so re-exports at the root make no false cycles;
// - declaring `mod b;` is not an edge (a parent owns its children without using them).
// Comments and string literals are skipped. Paths built by macros are not seen.
// @ts-nocheck: not yet annotated for `checkJs` (it came with the Rust lints, before the TS lint)
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const quiet = process.argv.includes('--quiet');

/** Removes comments, string and char literals, keeping line structure. */
function strip(src) {
  let out = '';
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    const n = src[i + 1];
    if (c === '/' && n === '/') {
      while (i < src.length && src[i] !== '\n') i++;
    } else if (c === '/' && n === '*') {
      let depth = 1;
      i += 2;
      while (i < src.length && depth > 0) {
        if (src[i] === '/' && src[i + 1] === '*') { depth++; i += 2; }
        else if (src[i] === '*' && src[i + 1] === '/') { depth--; i += 2; }
        else i++;
      }
      out += ' ';
    } else if (c === 'r' && /^r#*"/.test(src.slice(i, i + 20)) && !/\w/.test(src[i - 1] ?? '')) {
      const hashes = /^r(#*)"/.exec(src.slice(i))[1];
      const end = src.indexOf('"' + hashes, i + 2 + hashes.length);
      i = end < 0 ? src.length : end + 1 + hashes.length;
      out += '""';
    } else if (c === '"') {
      i++;
      while (i < src.length && src[i] !== '"') i += src[i] === '\\' ? 2 : 1;
      i++;
      out += '""';
    } else if (c === "'" && /^'(\\.[^']*|[^\\'])'/.test(src.slice(i, i + 12))) {
      i += /^'(\\.[^']*|[^\\'])'/.exec(src.slice(i, i + 12))[0].length;
      out += "' '";
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Expands a `use` tree (`a::{b, c::{d as e}, self}`) into its paths, as arrays of segments. */
function expandUse(tree) {
  tree = tree.replace(/\s+/g, '');
  const results = [];
  function walk(prefix, s) {
    // s is one tree: path segments, optionally ending in ::{...} or ::*
    const brace = s.indexOf('{');
    if (brace < 0) {
      const path = [...prefix, ...s.split('::').filter(Boolean)];
      // `a::{self, b}` names `a` itself.
      if (path.length > 1 && path[path.length - 1] === 'self') path.pop();
      results.push(path);
      return;
    }
    const head = s.slice(0, brace).split('::').filter(Boolean);
    const inner = s.slice(brace + 1, s.lastIndexOf('}'));
    let depth = 0;
    let start = 0;
    for (let i = 0; i <= inner.length; i++) {
      const ch = inner[i];
      if (ch === '{') depth++;
      else if (ch === '}') depth--;
      else if ((ch === ',' || i === inner.length) && depth === 0) {
        const part = inner.slice(start, i);
        if (part) walk([...prefix, ...head], part);
        start = i + 1;
      }
    }
  }
  walk([], tree);
  return results;
}

/** Reads one crate's module tree from its root file. Returns Map of "a::b" -> module info. */
function readCrate(rootFile) {
  const modules = new Map();
  function load(path, file, dir) {
    const raw = readFileSync(file, 'utf8');
    // `#[path = "..."] mod x;` (read before strip() blanks the string): the file it names,
    // relative to this file's directory.
    const pathAttrs = new Map();
    for (const a of raw.matchAll(/#\[path\s*=\s*"([^"]+)"\]\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;/g)) {
      pathAttrs.set(a[2], join(dirname(file), a[1]));
    }
    const src = strip(raw);
    const info = { path, file, children: new Set(), uses: [], reexports: new Map() };
    modules.set(path.join('::'), info);
    // Walk the file, tracking inline modules so `super::` inside them resolves correctly.
    const stack = []; // { name, depth, info } of the inline modules we are inside
    const inner = () => (stack.length ? stack[stack.length - 1].info : info);
    let depth = 0;
    const tokens = /(\bmod\s+(\w+)\s*([;{]))|(\b(pub(\([^)]*\))?\s+)?use\s+([^;]+);)|([{}])|(\b(?:crate|super|self|[a-z_][a-z0-9_]*)(?:::[A-Za-z_]\w*)+)/g;
    let m;
    while ((m = tokens.exec(src))) {
      const here = [...path, ...stack.map((s) => s.name)];
      if (m[1]) {
        const name = m[2];
        inner().children.add(name);
        if (m[3] === ';') {
          const sub = stack.length === 0 ? dir : null;
          if (sub) {
            const a = join(sub, `${name}.rs`);
            const b = join(sub, name, 'mod.rs');
            const named = pathAttrs.get(name);
            const childFile = named && existsSync(named) ? named : existsSync(a) ? a : existsSync(b) ? b : null;
            if (childFile) load([...path, name], childFile, join(sub, name));
          }
        } else {
          depth++;
          const child = { path: [...here, name], file, children: new Set(), uses: [], reexports: new Map() };
          modules.set(child.path.join('::'), child);
          stack.push({ name, depth, info: child });
        }
      } else if (m[4]) {
        const isPub = Boolean(m[5]);
        const tree = m[7].replace(/\s+as\s+/g, '@');
        for (const p of expandUse(tree)) {
          // `x as y` was written `x@y`: the path is x's, the name it is known by here is y.
          const last = p[p.length - 1].split('@');
          const segs = [...p.slice(0, -1), last[0]];
          inner().uses.push({ from: here, segs, inUse: true });
          const known = last[1] ?? last[0];
          if (isPub && known !== '*') inner().reexports.set(known, { from: here, segs });
        }
      } else if (m[8] === '{') {
        depth++;
      } else if (m[8] === '}') {
        if (stack.length && stack[stack.length - 1].depth === depth) stack.pop();
        depth--;
      } else if (m[9]) {
        inner().uses.push({ from: here, segs: m[9].split('::'), inUse: false });
      }
    }
  }
  const dir = dirname(rootFile);
  load([], rootFile, dir);
  return modules;
}

/** Resolves a path used in module `from` to [module key, rest], or null if it leaves the crate. */
function resolve(modules, from, segs, inUse) {
  let base;
  let rest = [...segs];
  if (rest[0] === 'crate') { base = []; rest.shift(); }
  else if (rest[0] === 'self') { base = [...from]; rest.shift(); }
  else if (rest[0] === 'super') {
    base = [...from];
    while (rest[0] === 'super') { base.pop(); rest.shift(); }
  } else {
    // A bare first segment is a child module of the current (file) module, or something else
    // (an external crate, a type): only the former is an edge.
    const fileMod = fileModuleOf(modules, from);
    const info = modules.get(fileMod.join('::'));
    if (!info || !info.children.has(rest[0])) return null;
    base = [...fileMod];
    void inUse;
  }
  // Walk down as far as the path names modules.
  let cur = fileModuleOf(modules, base);
  if (cur.length !== base.length) return { key: cur.join('::'), rest };
  for (let hops = 0; hops < 8; hops++) {
    while (rest.length && modules.has([...cur, rest[0]].join('::'))) cur = [...cur, rest.shift()];
    const info = modules.get(cur.join('::'));
    const re = rest.length ? info.reexports.get(rest[0]) : null;
    if (!re) break;
    const target = resolve(modules, re.from, re.segs, true);
    if (!target || target.key === cur.join('::')) break;
    cur = target.key === '' ? [] : target.key.split('::');
    rest = [...target.rest, ...rest.slice(1)];
  }
  return { key: cur.join('::'), rest };
}

/** The nearest enclosing known module (the path may go on into items). */
function fileModuleOf(modules, path) {
  const p = [...path];
  while (p.length && !modules.has(p.join('::'))) p.pop();
  return p;
}

function graphOf(modules) {
  const edges = new Map([...modules.keys()].map((k) => [k, new Set()]));
  for (const [key, info] of modules) {
    for (const use of info.uses) {
      const target = resolve(modules, use.from, use.segs, use.inUse);
      if (!target) continue;
      if (target.key === key) continue;
      // Naming a module only to reach into it is an edge to where the path ends.
      edges.get(key).add(target.key);
    }
  }
  return edges;
}

/** Tarjan's strongly connected components; every component of more than one module is a cycle. */
function cycles(edges) {
  let index = 0;
  const stack = [];
  const on = new Set();
  const idx = new Map();
  const low = new Map();
  const out = [];
  function visit(v) {
    idx.set(v, index); low.set(v, index); index++;
    stack.push(v); on.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v), low.get(w))); }
      else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const comp = [];
      let w;
      do { w = stack.pop(); on.delete(w); comp.push(w); } while (w !== v);
      if (comp.length > 1) out.push(comp.sort());
    }
  }
  for (const v of edges.keys()) if (!idx.has(v)) visit(v);
  return out;
}

const name = (k) => (k === '' ? 'crate' : k);
let failed = false;
for (const crate of readdirSync(join(root, 'crates')).sort()) {
  for (const rootName of ['lib.rs', 'main.rs']) {
    const rootFile = join(root, 'crates', crate, 'src', rootName);
    if (!existsSync(rootFile)) continue;
    const edges = graphOf(readCrate(rootFile));
    const found = cycles(edges);
    const label = `${crate} (${relative(root, rootFile)})`;
    if (!quiet) {
      console.log(`${label}: ${edges.size} modules`);
      for (const [k, to] of [...edges].sort(([a], [b]) => a.localeCompare(b))) {
        // Unit-test modules only ever point at the module they test: left out of the listing.
        if (/(^|::)tests$/.test(k)) continue;
        const list = [...to].map(name).sort();
        console.log(`  ${name(k)} -> ${list.length ? list.join(', ') : '(nothing)'}`);
      }
    }
    for (const comp of found) {
      failed = true;
      console.log(`CYCLE in ${label}: ${comp.map(name).join(' <-> ')}`);
      for (const a of comp) {
        const back = [...edges.get(a)].filter((b) => comp.includes(b));
        console.log(`  ${name(a)} -> ${back.map(name).join(', ')}`);
      }
    }
    if (!found.length) console.log(`${label}: no cycles`);
  }
}
process.exit(failed ? 1 : 0);
