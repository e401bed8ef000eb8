"""Write README.md from nbs/index.ipynb (settings.ini `readme_nb`), without Quarto.

`nbdev_readme` needs Quarto, which cannot be installed here. This runs nbdev's processors on the index
notebook only (tools/build_docs.py `proc_nb`: show_doc output, hidden/exported cells removed), applies
Quarto's part (`finish_nb`: frontmatter to H1 + summary, `#|` directive lines removed and obeyed,
`.ipynb` links pointed at nbs/), strips the keys nbformat's validator rejects, and converts the notebook
to GitHub Markdown with nbconvert's MarkdownExporter. Images from cell outputs go to README_files/.
The output depends only on the notebook and settings.ini, so `--check` can tell a stale README.

Usage: python tools/make_readme.py [--check]
"""
from __future__ import annotations

import argparse, difflib, json, shutil, sys, tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build_docs as bd

ROOT = bd.ROOT
FILES_DIR = 'README_files'

def render_readme(root:Path=ROOT) -> dict[str, bytes]:
    "README.md and its images as {path relative to root: bytes}"
    root = Path(root).resolve()
    cfg = bd.read_settings(root)
    nbs = root/cfg.get('nbs_path', 'nbs')
    rel = Path(cfg.get('readme_nb', 'index.ipynb'))
    if not (nbs/rel).exists(): raise FileNotFoundError(f'{nbs/rel}: readme_nb from settings.ini not found')
    pages = {r.as_posix(): bd.page_name(r) for r in bd.list_nbs(root, cfg)}
    pages.setdefault(rel.as_posix(), bd.page_name(rel))
    with tempfile.TemporaryDirectory() as td:
        bd.proc_nb(nbs/rel, Path(td)/rel.name, root)
        nb = json.loads((Path(td)/rel.name).read_text(encoding='utf-8'))
    nb = bd.finish_nb(nb, rel, pages, cfg, target='readme')
    bd.validate(nb, str(Path(cfg.get('nbs_path', 'nbs'))/rel))
    return to_markdown(nb)

def tidy(md:str) -> str:
    "Strip trailing spaces and squeeze blank-line runs outside ``` fences to one (nbconvert leaves up to 4)"
    out, fence, blank = [], False, 0
    for l in md.strip().splitlines():
        l = l.rstrip()
        if l.lstrip().startswith('```'): fence = not fence
        blank = blank + 1 if not l and not fence else 0
        if blank <= 1: out.append(l)
    return '\n'.join(out) + '\n'

def to_markdown(nb:dict) -> dict[str, bytes]:
    "Convert a finished notebook dict to {'README.md': ..., 'README_files/...': ...}"
    nb = dict(nb, metadata={**nb.get('metadata', {}), 'language_info': {'name': 'python'}})  # ```python fences
    from nbconvert import MarkdownExporter
    from nbconvert.preprocessors import TagRemovePreprocessor
    from traitlets.config import Config
    c = Config()
    c.TagRemovePreprocessor.remove_input_tags = {'remove_input'}
    c.TagRemovePreprocessor.enabled = True
    ex = MarkdownExporter(config=c)
    ex.register_preprocessor(TagRemovePreprocessor(config=c), enabled=True)
    body, res = ex.from_notebook_node(bd.to_node(nb), resources={'unique_key': 'README', 'output_files_dir': FILES_DIR})
    out = {'README.md': tidy(body).encode('utf-8')}
    for name, data in sorted(res.get('outputs', {}).items()):
        out[Path(name).as_posix()] = data if isinstance(data, bytes) else str(data).encode('utf-8')
    return out

def on_disk(root:Path) -> dict[str, bytes]:
    "The README files now in `root`"
    root = Path(root)
    res = {}
    if (root/'README.md').exists(): res['README.md'] = (root/'README.md').read_bytes()
    if (root/FILES_DIR).is_dir():
        for f in sorted((root/FILES_DIR).rglob('*')):
            if f.is_file(): res[f.relative_to(root).as_posix()] = f.read_bytes()
    return res

def stale(root:Path, want:dict[str, bytes]) -> list[str]:
    "Messages describing how the README on disk differs from `want` (empty when up to date)"
    have, msgs = on_disk(root), []
    for k in sorted(set(have) | set(want)):
        if k not in have: msgs.append(f'{k}: missing')
        elif k not in want: msgs.append(f'{k}: not produced by the notebook any more')
        elif have[k] != want[k]:
            msg = f'{k}: differs'
            if k.endswith('.md'):
                d = difflib.unified_diff(have[k].decode('utf-8', 'replace').splitlines(), want[k].decode('utf-8').splitlines(),
                                         f'{k} (on disk)', f'{k} (from notebook)', lineterm='', n=1)
                msg += '\n' + '\n'.join(list(d)[:40])
            msgs.append(msg)
    return msgs

def write(root:Path, want:dict[str, bytes]):
    "Replace README.md and README_files/ in `root` with `want`"
    root = Path(root)
    if (root/FILES_DIR).exists(): shutil.rmtree(root/FILES_DIR)
    for k, v in want.items():
        (root/k).parent.mkdir(parents=True, exist_ok=True)
        (root/k).write_bytes(v)

def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--root', default=str(ROOT), help='repo root (holds settings.ini)')
    p.add_argument('--check', action='store_true', help='exit 1 if README.md (or README_files/) is stale; write nothing')
    a = p.parse_args(argv)
    root = Path(a.root)
    try: want = render_readme(root)
    except (RuntimeError, ValueError, FileNotFoundError) as e:
        print(f'make_readme: {e}', file=sys.stderr); return 1
    if a.check:
        msgs = stale(root, want)
        if msgs:
            print('make_readme: README.md is stale; run `make readme` (python tools/make_readme.py) and commit it:\n'
                  + '\n'.join(msgs), file=sys.stderr)
            return 1
        print('make_readme: README.md is up to date')
        return 0
    write(root, want)
    print('make_readme: wrote README.md' + (f' and {len(want) - 1} file(s) in {FILES_DIR}/' if len(want) > 1 else ''))
    return 0

if __name__ == '__main__': sys.exit(main())
