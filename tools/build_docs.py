"""Build girl_nb's offline docs site from the notebooks, without Quarto.

Quarto cannot be installed on these machines, so `nbdev_docs`, `nbdev_readme` and `nbdev_preview` fail.
This tool keeps nbdev's own processing step and swaps Quarto for mkdocs-material + mkdocs-jupyter:

1. every notebook under `nbs_path` goes through nbdev 2's processors (`FilterDefaults`, the work
   `nbdev_proc_nbs` does: show_doc cells added and executed, hidden/exported cells removed, doc links),
   one fresh Python process per notebook, into `_proc/`. `show_doc` output also gets the docments
   parameter table (fastcore's `DocmentTbl`), which nbdev 2.4's renderer no longer prints;
2. what Quarto would then do with the processed notebook is done here (`finish_nb`): frontmatter back
   to an H1 + summary, `#|` directive lines removed and obeyed (`echo`, `output`, `include`),
   `output: asis` show_doc results turned into markdown, `.ipynb`/doc-site links made relative,
   and the two keys nbformat's validator rejects (`has_sd`, `metadata.execution`) removed;
3. `mkdocs build` runs on `_build/mkdocs.yml`, written here: it INHERITs the repo's `mkdocs.yml`
   and adds the title/description from settings.ini and a nav built from the notebooks present now.

Anchors. nbdev's doc links (`add_links`, from `_modidx.py`) point at `page.html#<name>` with `<name>` the
lower-cased `name`, `Class.method` or patched `Class.name` of every exported definition, documented or not.
So every show_doc heading carries `<a id>`s for its symbol (`goldjudge.best_jd` and `best_jd`), and exported
names without a show_doc (`#| exporti`, private names) get an invisible anchor where their cell was
(`add_def_anchors`). mkdocs-jupyter gives duplicate headings the same id and builds its TOC from a copy of
the page with inline code removed (a heading that is just a code span is listed as `#_1`); the mkdocs
hook at the end of this file (`on_page_content`) makes heading ids unique and rebuilds the TOC from them.

Do not call the `nbdev_proc_nbs` command instead: without Quarto it runs `sudo` to install Quarto and
`pip install -e .[dev]` with whatever pip is first on PATH, and writes nbs/_quarto.yml, nbdev.yml and sidebar.yml.

Usage: python tools/build_docs.py [--site-dir _docs] [--workers N] [--no-mkdocs]
"""
from __future__ import annotations

import argparse, ast, configparser, copy, html, importlib.util, json, os, posixpath, re, shutil, subprocess, sys, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
ROOT = TOOLS.parent
MATHJAX_PH = 'GIRL-MATHJAX-PLACEHOLDER'  # mkdocs.yml's custom_mathjax_url starts with it; replaced after the build
IMG_EXTS = {'.png', '.jpg', '.jpeg', '.gif', '.svg', '.webp'}

# ---------------------------------------------------------------- settings and notebook discovery

def read_settings(root:Path=ROOT) -> dict:
    "The `[DEFAULT]` section of `root/settings.ini` as a dict"
    ini = Path(root)/'settings.ini'
    if not ini.exists(): raise FileNotFoundError(f'{ini}: settings.ini not found (is {root} the repo root?)')
    cp = configparser.ConfigParser(delimiters=['='], interpolation=None)
    cp.read(ini, encoding='utf-8')
    return dict(cp['DEFAULT'])

def _skipped(rel:Path) -> bool: return any(p.startswith(('_', '.')) for p in rel.parts)

def list_nbs(root:Path=ROOT, cfg:dict|None=None) -> list[Path]:
    "Notebooks nbdev documents, relative to `nbs_path`: index first, then by path (nbdev's sidebar order)"
    cfg = cfg or read_settings(root)
    nbs = Path(root)/cfg.get('nbs_path', 'nbs')
    if not nbs.is_dir(): raise FileNotFoundError(f'{nbs}: nbs_path from settings.ini is not a folder')
    pat = '**/*.ipynb' if cfg.get('recursive', 'True').lower() in ('true', '1', 'yes') else '*.ipynb'
    res = [p.relative_to(nbs) for p in nbs.glob(pat) if not _skipped(p.relative_to(nbs))]
    return sorted(res, key=lambda p: (p.parent.as_posix(), '' if p.stem == 'index' else p.name))

def page_name(rel:Path) -> str:
    "nbdev's html name for notebook `rel` (e.g. `00_core.ipynb` -> `core.html`), as a posix path"
    return rel.with_name(re.sub(r'^\d+[a-zA-Z0-9]*_', '', rel.name.lower())).with_suffix('.html').as_posix()

# ---------------------------------------------------------------- step 1: nbdev processing

def _proc_in_child(src:str, dst:str):
    "Run nbdev's `FilterDefaults` processors on `src`, writing `dst` (runs in a fresh process)"
    from nbdev.showdoc import BasicMarkdownRenderer
    from fastcore.docments import DocmentTbl
    orig = BasicMarkdownRenderer._repr_markdown_
    def _repr_markdown_(self):
        md = orig(self)
        try: tbl = str(DocmentTbl(self.sym)) if callable(self.sym) else ''
        except Exception: tbl = ''
        return f'{md}\n\n{tbl}' if tbl else md
    BasicMarkdownRenderer._repr_markdown_ = _repr_markdown_
    from nbdev.processors import FilterDefaults, rm_export
    from nbdev.serve_drv import main
    add_def_anchors = _def_anchor_proc()
    class Filter(FilterDefaults):
        def base_procs(self):
            ps = super().base_procs()
            return ps[:ps.index(rm_export)] + [add_def_anchors] + ps[ps.index(rm_export):]
    main((Path(src), Path(dst), Filter))

_EXPORT_DIRS = {'export', 'exporti', 'exports'}
DEF_ANCHORS = 'girl_nb_def_anchors'   # cell metadata key of the anchor cells `add_def_anchors` inserts
_re_anchor_id = re.compile(r'^[\w.]+$')

def def_anchors(src:str) -> list[str]:
    "Fragments of nbdev's doc links (`_modidx.py`) to what code `src` defines: `name`, `class.method`, patched `class.name`"
    from nbdev.doclinks import patch_name
    try: body = ast.parse(src).body
    except SyntaxError: return []
    defs, res = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef), []
    for t in body:                                      # as nbdev.doclinks._get_modidx
        if isinstance(t, defs): res += [patch_name(t)] if isinstance(patch_name(t), str) else list(patch_name(t))
        if isinstance(t, ast.ClassDef): res += [f'{t.name}.{t2.name}' for t2 in t.body if isinstance(t2, defs)]
    return list(dict.fromkeys(n.lower() for n in res))

def _def_anchor_proc():
    "nbdev processor class: after each exported cell, a markdown cell listing the anchors of its definitions"
    from nbdev.process import Processor
    from execnb.nbio import mk_cell
    class add_def_anchors(Processor):
        "Keep, where `rm_export` drops an exported cell, the doc-link anchors of what it defines"
        def begin(self):
            for c in reversed(list(self.nb.cells)):
                if c.cell_type != 'code' or not _EXPORT_DIRS & set(getattr(c, 'directives_', None) or {}): continue
                if ids := def_anchors(c.source):
                    new = mk_cell('<!-- girl_nb: doc-link anchors -->', cell_type='markdown', metadata={DEF_ANCHORS: ids})
                    new.directives_ = {}
                    self.nb.cells.insert(c.idx_ + 1, new)
    return add_def_anchors

def proc_nb(src:Path, dst:Path, root:Path=ROOT, timeout:float=600):
    "Process one notebook with nbdev in a fresh interpreter (cwd = its folder, repo root on PYTHONPATH)"
    dst.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, NO_MKDOCS_2_WARNING='1', PYTHONPATH=os.pathsep.join([str(Path(root).resolve())] + [p for p in os.environ.get('PYTHONPATH', '').split(os.pathsep) if p]))
    env.setdefault('MPLBACKEND', 'Agg')
    code = f'import sys; sys.path.insert(0, {str(TOOLS)!r}); import build_docs; build_docs._proc_in_child({str(src)!r}, {str(dst)!r})'
    r = subprocess.run([sys.executable, '-c', code], cwd=src.parent, env=env, capture_output=True, text=True, timeout=timeout)
    if r.returncode:
        hint = ('\nhint: nbdev runs every cell that contains an import while building docs; '
                'keep imports in cells of their own' if 'NameError' in r.stderr and 'Found cells containing imports' in r.stderr else '')
        raise RuntimeError(f'{src}: nbdev processing failed (exit {r.returncode}):\n{r.stderr[-2500:].strip()}{hint}')

def proc_nbs(rels:list[Path], root:Path=ROOT, out:Path|None=None, workers:int|None=None) -> Path:
    "Process notebooks `rels` (relative to nbs_path) into `out` (default `root/_proc`), in parallel"
    cfg = read_settings(root)
    nbs = Path(root)/cfg.get('nbs_path', 'nbs')
    out = Path(out or Path(root)/'_proc')
    workers = workers or os.cpu_count() or 1
    def _one(r):
        try: proc_nb(nbs/r, out/r, root)
        except (RuntimeError, subprocess.TimeoutExpired) as e: return str(e)
    with ThreadPoolExecutor(workers) as ex: errs = [e for e in ex.map(_one, rels) if e]
    if errs: raise RuntimeError(f'{len(errs)} of {len(rels)} notebooks failed:\n\n' + '\n\n'.join(errs))
    return out

# ---------------------------------------------------------------- step 2: what Quarto would do

_re_dir = re.compile(r'^\s*#\|\s?(.*?)\s*$')
_re_mdlink = re.compile(r'(\]\()(<?)([^)\s>]+)(>?(?:\s+"[^"]*")?\))')
_re_htmlattr = re.compile(r'''((?:href|src)=["'])([^"']+)(["'])''')
_re_pandoc_link = re.compile(r'(?<!!)\[([^\]\n]*)\]\(([^)\s]+)\)\{([^}\n]*)\}')  # show_doc: [source](url){target="_blank" style=...}

def _lines(s): return ''.join(s) if isinstance(s, list) else (s or '')

def split_directives(src:str) -> tuple[dict, str]:
    "Leading `#| key: value` lines of a code cell as a dict, and the source without them"
    lines, d = src.splitlines(), {}
    i = 0
    while i < len(lines) and (m := _re_dir.match(lines[i])):
        k, _, v = m.group(1).partition(':')
        d[k.strip()] = v.strip().strip('"\'')
        i += 1
    return d, '\n'.join(lines[i:]).strip('\n')

def _false(v): return str(v).strip().lower() in ('false', 'no', '0')

def _md_cell(text, cid):
    return {'cell_type': 'markdown', 'id': cid, 'metadata': {}, 'source': text}

def _fm(cell) -> dict | None:
    "YAML frontmatter dict of a raw cell, or None"
    import yaml
    m = re.match(r'^---\s*\n(.*?)\n---\s*$', _lines(cell.get('source')).strip(), flags=re.DOTALL)
    if not m: return None
    try: return yaml.safe_load(m.group(1)) or {}
    except yaml.YAMLError: return None

class LinkMap:
    "Rewrites notebook, page and doc-site URLs for one output page"
    def __init__(self, nb_rel:Path, pages:dict, cfg:dict, target:str):
        self.nb_rel, self.pages, self.target = Path(nb_rel), pages, target   # pages: nb rel posix -> html rel posix
        self.by_html = {h: n for n, h in pages.items()}
        base = cfg.get('doc_host', '').rstrip('/') + '/' + cfg.get('doc_baseurl', '').strip('/')
        self.site = base.rstrip('/') + '/' if cfg.get('doc_host') else None
        self.nbs_path = cfg.get('nbs_path', 'nbs')

    def _rel(self, to:str) -> str:
        "URL of site page `to` relative to this page"
        here = posixpath.dirname(self.pages.get(self.nb_rel.as_posix(), page_name(self.nb_rel)))
        return posixpath.relpath(to, here or '.')

    def _frag(self, frag:str) -> str:
        "Fragment as mkdocs' toc slugifies the heading (nbdev links say `#scorer.score`, the page has `#scorerscore`)"
        from markdown.extensions.toc import slugify
        return f'#{slugify(frag, "-")}' if frag else ''

    def __call__(self, url:str) -> str:
        if url.startswith(('#', 'mailto:', 'data:')): return url
        if self.site and url.startswith(self.site):   # nbdev doc links (`add_links`) point at the public site
            path, _, frag = url[len(self.site):].partition('#')
            if self.target == 'docs' and (path in self.by_html or path == ''):   # fragment as nbdev wrote it: the
                return self._rel(path or 'index.html') + (f'#{frag}' if frag else '')  # page has that anchor
            return url
        if re.match(r'^[a-zA-Z][a-zA-Z0-9+.-]*:', url) or url.startswith('/'): return url
        path, _, frag = url.partition('#')
        here = posixpath.dirname(self.nb_rel.as_posix())
        tgt = posixpath.normpath(posixpath.join(here, path)) if path else ''
        sfx = self._frag(frag) if self.target == 'docs' else (f'#{frag}' if frag else '')
        if tgt in self.pages:                                  # link to a notebook
            return (self._rel(self.pages[tgt]) if self.target == 'docs' else f'{self.nbs_path}/{tgt}') + sfx
        if tgt in self.by_html:                                # link to a page by its nbdev html name
            return (self._rel(tgt) if self.target == 'docs' else f'{self.nbs_path}/{self.by_html[tgt]}') + sfx
        if self.target == 'readme' and path:                   # other files beside the notebooks
            return posixpath.normpath(f'{self.nbs_path}/{tgt}') + sfx
        return url

    def md(self, s:str) -> str:
        s = _re_pandoc_link.sub(lambda m: f'<a href="{m.group(2)}" {m.group(3).strip()}>{m.group(1)}</a>', s)  # Pandoc attrs -> HTML
        s = _re_mdlink.sub(lambda m: m.group(1) + m.group(2) + self(m.group(3)) + m.group(4), s)
        return _re_htmlattr.sub(lambda m: m.group(1) + self(m.group(2)) + m.group(3), s)

def show_doc_name(src:str) -> str | None:
    "The symbol of a `show_doc(sym, ...)` cell (directives allowed), e.g. `GoldJudge.best_jd`, else None"
    try: body = ast.parse(split_directives(src)[1]).body
    except SyntaxError: return None
    for t in body:
        if (isinstance(t, ast.Expr) and isinstance(t.value, ast.Call) and getattr(t.value.func, 'id', None) == 'show_doc'
                and t.value.args): return ast.unparse(t.value.args[0])
    return None

def page_anchors(cells:list) -> tuple[dict, dict]:
    "Which anchors each show_doc cell (by index) and each definition-anchor cell gets, each id once per page"
    exact, short, defs, used = {}, {}, {}, set()
    for i, c in enumerate(cells):
        if c['cell_type'] == 'code' and (nm := show_doc_name(_lines(c.get('source')))):
            parts = nm.lower().split('.')                   # nbdev links `Class.meth`, or `meth` when
            exact[i] = ['.'.join(parts)]                    # patched with an unknown decorator
            short[i] = ['.'.join(parts[-k:]) for k in (2, 1) if len(parts) > k]
    def claim(ids):
        new = [a for a in dict.fromkeys(ids) if _re_anchor_id.match(a) and a not in used]
        used.update(new); return new
    sd = {i: claim(v) for i, v in exact.items()}            # a symbol's own name first, then short forms,
    for i, v in short.items(): sd[i] += claim(v)            # then definitions that have no show_doc
    for i, c in enumerate(cells):
        if ids := c.get('metadata', {}).get(DEF_ANCHORS): defs[i] = claim(ids)
    return sd, defs

def _anchor_tags(ids): return ''.join(f'<a id="{a}"></a>' for a in ids)

def _heading_anchors(md:str, ids:list) -> str:
    "show_doc markdown `md` with anchors `ids` put in its first heading (or on top when it has none)"
    if not ids: return md
    m = re.search(r'^(#{1,6}[ \t]+)', md, flags=re.M)
    return md[:m.end()] + _anchor_tags(ids) + md[m.end():] if m else _anchor_tags(ids) + '\n\n' + md

def finish_nb(nb:dict, nb_rel:Path, pages:dict, cfg:dict, target:str='docs') -> dict:
    "Apply Quarto's part to an nbdev-processed notebook `nb` (a dict); `target` is 'docs' or 'readme'"
    nb = copy.deepcopy(nb)
    nb.get('metadata', {}).pop('execution', None)  # float `total` fails nbformat validation
    links, cells, title, desc = LinkMap(nb_rel, pages, cfg, target), [], None, None
    sd_ids, def_ids = page_anchors(nb.get('cells', []))
    seen = set()
    for i, c in enumerate(nb.get('cells', [])):
        c.pop('has_sd', None)
        c.get('metadata', {}).pop('execution', None)
        cid = c.get('id') or f'cell-{i}'
        if cid in seen: cid = c['id'] = f'{cid}-{i}'   # nbdev splits import cells keeping the id
        seen.add(cid)
        src = _lines(c.get('source'))
        if DEF_ANCHORS in c.get('metadata', {}):
            if def_ids.get(i) and target == 'docs':
                cells.append(_md_cell(f'<div class="girl-anchors">{_anchor_tags(def_ids[i])}</div>', cid))
            continue
        if c['cell_type'] == 'raw':
            fm = _fm(c)
            if fm is not None:
                title, desc = title or fm.get('title'), desc or fm.get('description')
                continue
        if c['cell_type'] == 'markdown':
            if src.strip() == '': continue
            c['source'] = links.md(src)
        elif c['cell_type'] == 'code':
            d, body = split_directives(src)
            if _false(d.get('include', 'true')): continue
            outs = [] if _false(d.get('output', 'true')) else c.get('outputs', [])
            echo = not _false(d.get('echo', 'true')) and body.strip() != ''
            md_outs = []
            if d.get('output') == 'asis':     # show_doc and friends: their markdown becomes page markdown
                keep = []
                for o in outs:
                    md = o.get('data', {}).get('text/markdown')
                    if md is not None:
                        md = links.md(_lines(md))
                        if target == 'docs' and not md_outs: md = _heading_anchors(md, sd_ids.get(i, []))
                        md_outs.append(_md_cell(md, f'{cid}-md{len(md_outs)}'))
                    else: keep.append(o)
                outs = keep
            for o in outs:
                if 'text/markdown' in o.get('data', {}):
                    o['data']['text/markdown'] = links.md(_lines(o['data']['text/markdown']))
            if echo or outs:
                c['source'], c['outputs'] = body, outs
                tags = [t for t in c.get('metadata', {}).get('tags', []) if t != 'remove_input']
                if not echo: tags.append('remove_input')
                if tags: c.setdefault('metadata', {})['tags'] = tags
                cells.append(c)
            cells.extend(md_outs)
            continue
        cells.append(c)
    if title:
        head = f'# {title}' + (f'\n\n> {desc}' if desc else '')
        cells.insert(0, _md_cell(head, 'girl-title'))
    nb['cells'] = cells
    nb['metadata'].setdefault('girl_nb', {})['title'] = title or nb_rel.stem
    return nb

def to_node(nb:dict):
    "`nb` as an nbformat NotebookNode (multi-line fields joined, as when read from a file)"
    import nbformat
    return nbformat.reads(json.dumps(nb), as_version=4)

def validate(nb:dict, where:str):
    "Raise ValueError naming `where` and the failing field when nbformat rejects `nb`"
    import nbformat
    try: nbformat.validate(to_node(nb))
    except nbformat.ValidationError as e:
        path = '/'.join(str(p) for p in e.absolute_path) if hasattr(e, 'absolute_path') else '?'
        raise ValueError(f'{where}: invalid notebook after processing, field {path}: {e.message}') from None

# ---------------------------------------------------------------- step 3: mkdocs

def _mathjax_dir() -> Path | None:
    "MathJax 2 shipped by the `jupyter-server-mathjax` package, if installed"
    spec = importlib.util.find_spec('jupyter_server_mathjax')
    if not spec or not spec.submodule_search_locations: return None
    d = Path(list(spec.submodule_search_locations)[0])/'static'
    return d if (d/'MathJax.js').exists() else None

def _nav(rels:list[Path], pages:dict, titles:dict) -> list:
    "mkdocs nav: top-level pages in order, sub-folders as sections"
    nav, secs = [], {}
    for r in rels:
        entry = {titles[r.as_posix()]: pages[r.as_posix()].replace('.html', '.ipynb')}
        node = nav
        for part in r.parent.parts:
            if part not in secs:
                secs[part] = []
                node.append({part.replace('_', ' '): secs[part]})
            node = secs[part]
        node.append(entry)
    return nav

def write_sources(root:Path, rels:list[Path], proc:Path, src_dir:Path, cfg:dict) -> dict:
    "Finish processed notebooks from `proc` into `src_dir` named by their nbdev page; returns titles"
    pages = {r.as_posix(): page_name(r) for r in rels}
    dup = {}
    for n, h in pages.items(): dup.setdefault(h, []).append(n)
    if clash := {h: n for h, n in dup.items() if len(n) > 1}:
        raise ValueError(f'notebooks map to the same page name: {clash}')
    if src_dir.exists(): shutil.rmtree(src_dir)
    src_dir.mkdir(parents=True)
    titles = {}
    for r in rels:
        nb = json.loads((proc/r).read_text(encoding='utf-8'))
        nb = finish_nb(nb, r, pages, cfg, 'docs')
        validate(nb, str(Path(cfg.get('nbs_path', 'nbs'))/r))
        titles[r.as_posix()] = nb['metadata']['girl_nb']['title']
        dst = src_dir/pages[r.as_posix()].replace('.html', '.ipynb')
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_text(json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + '\n', encoding='utf-8')
    nbs = Path(root)/cfg.get('nbs_path', 'nbs')       # images referenced from markdown cells
    for f in nbs.rglob('*'):
        rel = f.relative_to(nbs)
        if f.is_file() and f.suffix.lower() in IMG_EXTS and not _skipped(rel):
            (src_dir/rel).parent.mkdir(parents=True, exist_ok=True); shutil.copy2(f, src_dir/rel)
    extras = Path(root)/'docs_src'                     # static extras (CSS ...) kept in the repo
    if extras.is_dir(): shutil.copytree(extras, src_dir, dirs_exist_ok=True)
    return titles

def write_mkdocs_yml(root:Path, build:Path, src_dir:Path, site_dir:Path, nav:list, cfg:dict) -> Path:
    "Write `build/mkdocs.yml`, which INHERITs `root/mkdocs.yml` (mkdocs replaces, not merges, lists such as plugins)"
    import yaml
    y = {'INHERIT': os.path.relpath(Path(root)/'mkdocs.yml', build),
         'site_name': cfg.get('title') or cfg.get('lib_name'),
         'site_description': cfg.get('description', ''),
         'site_author': cfg.get('author', ''),
         'copyright': f"Copyright {cfg['copyright']}" if cfg.get('copyright') else None,
         'docs_dir': os.path.relpath(src_dir, build), 'site_dir': str(Path(site_dir).resolve()),
         'hooks': [str(Path(__file__).resolve())],          # on_page_content below: unique heading ids, TOC
         'nav': nav}
    p = build/'mkdocs.yml'
    p.write_text('# generated by tools/build_docs.py: do not edit, edit ../mkdocs.yml\n'
                 + yaml.safe_dump({k: v for k, v in y.items() if v is not None}, sort_keys=False, allow_unicode=True), encoding='utf-8')
    return p

_re_ext_asset = re.compile(r'<(?:script|link|img|iframe)\b[^>]*?\b(?:src|href)=["\'](?:https?:)?//[^"\']*["\'][^>]*>', re.I)
_re_mj_tag = re.compile(r'<script src="' + re.escape(MATHJAX_PH) + r'[^"]*">\s*</script>')

def postprocess_site(site:Path, mathjax:Path|None) -> list[str]:
    "Point pages at the local MathJax (or drop its tag); return external assets still referenced"
    if mathjax: shutil.copytree(mathjax, site/'assets'/'mathjax', dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns('localization', 'SVG', 'unpacked'))
    bad = []
    for f in sorted(site.rglob('*.html')):
        s = f.read_text(encoding='utf-8')
        if MATHJAX_PH in s:
            if mathjax: s = s.replace(MATHJAX_PH, posixpath.relpath('assets/mathjax', posixpath.dirname(f.relative_to(site).as_posix()) or '.'))
            else: s = _re_mj_tag.sub('', s)
            f.write_text(s, encoding='utf-8')
        bad += [f'{f.relative_to(site)}: {m}' for m in _re_ext_asset.findall(s)]
    return bad

def build(root:Path=ROOT, site_dir:Path|None=None, build_dir:Path|None=None, workers:int|None=None,
          run_mkdocs:bool=True, quiet:bool=False) -> dict:
    "Process the notebooks and build the site; returns a dict of what was built and the timings"
    root = Path(root).resolve()
    cfg = read_settings(root)
    site = Path(site_dir or root/cfg.get('doc_path', '_docs')).resolve()
    bdir = Path(build_dir or root/'_build').resolve()
    rels = list_nbs(root, cfg)
    if not rels: raise FileNotFoundError(f"{root/cfg.get('nbs_path', 'nbs')}: no notebooks to document")
    t0 = time.perf_counter()
    proc = proc_nbs(rels, root, bdir/'_proc' if build_dir else root/'_proc', workers)
    t1 = time.perf_counter()
    src_dir = bdir/'docs_src'
    titles = write_sources(root, rels, proc, src_dir, cfg)
    pages = {r.as_posix(): page_name(r) for r in rels}
    mj = _mathjax_dir()
    yml = write_mkdocs_yml(root, bdir, src_dir, site, _nav(rels, pages, titles), cfg)
    res = dict(notebooks=[r.as_posix() for r in rels], pages=pages, titles=titles, site=site, config=yml,
               mathjax=str(mj) if mj else None, proc_s=t1 - t0)
    if not run_mkdocs: return res
    env = dict(os.environ, NO_MKDOCS_2_WARNING='1', PYTHONPATH=os.pathsep.join([str(root)] + [p for p in os.environ.get('PYTHONPATH', '').split(os.pathsep) if p]))
    cmd = [sys.executable, '-m', 'mkdocs', 'build', '--clean', '-f', str(yml)] + (['-q'] if quiet else [])
    r = subprocess.run(cmd, cwd=bdir, env=env, capture_output=quiet, text=True)
    if r.returncode: raise RuntimeError(f'mkdocs build failed (exit {r.returncode})' + (f':\n{r.stderr[-4000:]}' if quiet else ''))
    bad = postprocess_site(site, mj)
    if bad: raise RuntimeError('built pages load assets from the network (they fail offline):\n' + '\n'.join(bad[:20]))
    res['mkdocs_s'] = time.perf_counter() - t1
    return res

# ---------------------------------------------------------------- mkdocs hook (this file is listed in `hooks:`)

_re_heading = re.compile(r'<h([1-6])\b([^>]*)>(.*?)</h\1>', re.S)
_re_id = re.compile(r'\sid="([^"]*)"')
_re_tag = re.compile(r'<[^>]+>')
_re_anchor_link = re.compile(r'<a\b[^>]*\bclass="anchor-link"[^>]*>.*?</a>', re.S)

def unique_headings(content:str) -> tuple[str, list]:
    "Give the headings of page HTML `content` ids unique on the page; returns the HTML and flat TOC tokens"
    heads = []
    for m in _re_heading.finditer(content):
        lvl, attrs, inner = m.groups()
        old = (mid := _re_id.search(attrs)) and mid.group(1)
        pin = old is not None and f'<a id="{old}"></a>' in inner     # a show_doc heading holding its own anchor
        if pin: inner = inner.replace(f'<a id="{old}"></a>', '', 1)   # keeps its id: the anchor goes
        heads.append((m, lvl, attrs, inner, mid, old, pin))
    taken = set(_re_id.findall(_re_heading.sub('', content)))          # ids outside headings, in them,
    taken |= {i for h in heads for i in _re_id.findall(h[3])} | {h[5] for h in heads if h[6]}  # pinned ones
    out, toks, pos = [], [], 0
    for m, lvl, attrs, inner, mid, old, pin in heads:
        if old is None: continue
        new, n = old, 0
        while not pin and (not new or new in taken): n += 1; new = f'{old}_{n}'  # markdown's toc extension's rule
        taken.add(new)
        if new != old:
            attrs = attrs[:mid.start()] + f' id="{new}"' + attrs[mid.end():]
            inner = inner.replace(f'href="#{old}"', f'href="#{new}"')
        out += [content[pos:m.start()], f'<h{lvl}{attrs}>{inner}</h{lvl}>']; pos = m.end()
        name = ' '.join(html.unescape(_re_tag.sub('', _re_anchor_link.sub('', inner))).split())
        toks.append({'level': int(lvl), 'id': new, 'name': html.escape(name, quote=False)})
    return ''.join(out) + content[pos:], toks

def on_page_content(content, page, config, files):
    "mkdocs hook: notebook pages get unique heading ids and a TOC that links to them"
    if not page.file.src_uri.endswith('.ipynb'): return content
    from markdown.extensions.toc import nest_toc_tokens
    from mkdocs.structure.toc import get_toc
    content, toks = unique_headings(content)
    page.toc = get_toc(nest_toc_tokens(toks))
    return content

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--root', default=str(ROOT), help='repo root (holds settings.ini)')
    p.add_argument('--site-dir', default=None, help='output folder (default: doc_path from settings.ini, _docs)')
    p.add_argument('--build-dir', default=None, help='work folder for the generated sources (default: _build)')
    p.add_argument('--workers', type=int, default=None, help='notebooks processed in parallel (default: CPU count)')
    p.add_argument('--no-mkdocs', action='store_true', help='stop after writing the mkdocs sources')
    a = p.parse_args(argv)
    try: res = build(Path(a.root), a.site_dir and Path(a.site_dir), a.build_dir and Path(a.build_dir), a.workers, not a.no_mkdocs)
    except (RuntimeError, ValueError, FileNotFoundError) as e:
        print(f'build_docs: {e}', file=sys.stderr); return 1
    print(f"build_docs: {len(res['notebooks'])} notebooks processed in {res['proc_s']:.1f}s"
          + (f", site built in {res['mkdocs_s']:.1f}s -> {res['site']}" if 'mkdocs_s' in res else f", sources in {res['config'].parent}")
          + ('' if res['mathjax'] else ' (no local MathJax: install jupyter-server-mathjax; equations stay TeX source)'))
    return 0

if __name__ == '__main__': sys.exit(main())
