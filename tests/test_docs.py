"Tests of tools/make_readme.py and tools/build_docs.py (README and offline docs site without Quarto)"
import base64, functools, html.parser, http.server, json, os, shutil, subprocess, sys, threading, urllib.error, urllib.parse, urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT/'tools'))
import build_docs as bd  # noqa: E402
import make_readme as mr  # noqa: E402

# a 2x2 red PNG, as a notebook would store a plot
PNG = base64.b64encode(bytes.fromhex(
    '89504e470d0a1a0a0000000d4948445200000002000000020802000000fdd49a73000000164944415478'
    '9c63f8cfc0f01f0418181818fe03000b1e02fefdbe4b7b0000000049454e44ae426082')).decode()

def _md(src, cid): return {'cell_type': 'markdown', 'id': cid, 'metadata': {}, 'source': src}
def _code(src, cid, outputs=()): return {'cell_type': 'code', 'id': cid, 'metadata': {}, 'execution_count': None,
                                          'outputs': list(outputs), 'source': src}
def _stream(text): return {'output_type': 'stream', 'name': 'stdout', 'text': text}

def _index_nb():
    "A tiny readme notebook exercising what nbdev and Quarto would change"
    cells = [_md('# tinylib\n\n> A tiny test library', 'c0'),
             _code('#| hide\nSECRET_HIDDEN = 1', 'c1'),
             _md('See [core](00_core.ipynb#add) and $x^2$.', 'c2'),
             _code('#| echo: false\nprint("shown output")', 'c3', [_stream('shown output\n')]),
             _code('1 + 1', 'c4', [{'output_type': 'execute_result', 'execution_count': 1, 'metadata': {},
                                    'data': {'text/plain': '2'}}]),
             _code('plot()', 'c5', [{'output_type': 'display_data', 'metadata': {},
                                     'data': {'image/png': PNG, 'text/plain': '<Figure>'}}]),
             _code('#| output: false\nprint("quiet")', 'c6', [_stream('quiet\n')])]
    return {'cells': cells, 'metadata': {'kernelspec': {'display_name': 'python3', 'language': 'python', 'name': 'python3'}},
            'nbformat': 4, 'nbformat_minor': 5}

@pytest.fixture
def tiny_repo(tmp_path):
    "A throwaway nbdev repo: this repo's settings.ini and one index notebook"
    shutil.copy(ROOT/'settings.ini', tmp_path/'settings.ini')
    (tmp_path/'nbs').mkdir()
    (tmp_path/'nbs'/'index.ipynb').write_text(json.dumps(_index_nb(), indent=1))
    return tmp_path

def test_readme_render_and_check(tiny_repo, capsys):
    want = mr.render_readme(tiny_repo)
    md = want['README.md'].decode()
    assert md.startswith('# tinylib\n\n> A tiny test library\n')
    assert 'SECRET_HIDDEN' not in md and '#|' not in md           # hidden cell and directive lines gone
    assert 'shown output' in md and 'print("shown output")' not in md   # echo: false keeps the output only
    assert 'print("quiet")' in md and 'quiet\n' not in md.replace('print("quiet")', '')  # output: false
    assert '[core](nbs/00_core.ipynb#add)' in md                  # notebook links point into nbs/
    assert '```python\n1 + 1\n```' in md and '    2' in md
    imgs = [k for k in want if k.startswith('README_files/')]
    assert len(imgs) == 1 and f'![png]({imgs[0]})' in md and want[imgs[0]] == base64.b64decode(PNG)
    assert mr.render_readme(tiny_repo) == want                     # deterministic
    assert mr.main(['--root', str(tiny_repo), '--check']) == 1     # nothing written yet
    assert 'README.md: missing' in capsys.readouterr().err
    assert mr.main(['--root', str(tiny_repo)]) == 0
    assert mr.main(['--root', str(tiny_repo), '--check']) == 0
    (tiny_repo/'README.md').write_text(md + 'hand edit\n')
    assert mr.main(['--root', str(tiny_repo), '--check']) == 1
    err = capsys.readouterr().err
    assert 'stale' in err and '-hand edit' in err
    mr.write(tiny_repo, want)
    (tiny_repo/imgs[0]).unlink()
    (tiny_repo/'README_files'/'old.png').write_bytes(b'x')
    assert mr.stale(tiny_repo, want) == [f'{imgs[0]}: missing', 'README_files/old.png: not produced by the notebook any more']

def test_readme_missing_notebook(tmp_path, capsys):
    shutil.copy(ROOT/'settings.ini', tmp_path/'settings.ini')
    (tmp_path/'nbs').mkdir()
    assert mr.main(['--root', str(tmp_path), '--check']) == 1
    assert 'index.ipynb: readme_nb from settings.ini not found' in capsys.readouterr().err

CFG = {'doc_host': 'https://girl-nb.github.io', 'doc_baseurl': '/girl_nb', 'nbs_path': 'nbs'}
PAGES = {'index.ipynb': 'index.html', '00_core.ipynb': 'core.html', 'sub/02_more.ipynb': 'sub/more.html'}

def test_finish_nb_quarto_semantics():
    sd = {'text/markdown': '---\n\n[source](https://github.com/x/y.py#L3){target="_blank" style="float:right"}\n\n### add\n\nSee `f`',
          'text/plain': 'add'}
    nb = {'cells': [{'cell_type': 'raw', 'id': 'r', 'metadata': {}, 'source': '---\ntitle: Core\ndescription: Helpers\noutput-file: core.html\n---\n'},
                    _code('#| echo: false\n#| output: asis\nshow_doc(add)', 'a', [{'output_type': 'execute_result', 'execution_count': None, 'metadata': {}, 'data': sd}]),
                    _code('#| include: false\nx = 1', 'b'),
                    _code('#| code-fold: show\n#| code-summary: "Exported source"\ndef g(): pass', 'c'),
                    _md('Uses [add](https://girl-nb.github.io/girl_nb/core.html#scorer.score) and [more](sub/02_more.ipynb)', 'd')],
          'metadata': {'execution': {'total': 1.5}}, 'nbformat': 4, 'nbformat_minor': 5}
    nb['cells'][1]['has_sd'] = True
    with pytest.raises(ValueError, match=r'nbs/00_core.ipynb: invalid notebook after processing, field cells/1'):
        bd.validate(nb, 'nbs/00_core.ipynb')                    # what nbdev's _proc leaves fails nbformat
    out = bd.finish_nb(nb, Path('00_core.ipynb'), PAGES, CFG, 'docs')
    bd.validate(out, 'core')
    srcs = [(c['cell_type'], ''.join(c['source'])) for c in out['cells']]
    assert srcs[0] == ('markdown', '# Core\n\n> Helpers')
    assert srcs[1][0] == 'markdown' and '### <a id="add"></a>add' in srcs[1][1]   # asis show_doc -> page markdown, anchored
    assert '<a href="https://github.com/x/y.py#L3" target="_blank" style="float:right">source</a>' in srcs[1][1]
    assert srcs[2] == ('code', 'def g(): pass')                             # include: false dropped, directives gone
    assert srcs[3] == ('markdown', 'Uses [add](core.html#scorer.score) and [more](sub/more.html)')  # nbdev's fragment
    assert 'execution' not in out['metadata'] and out['metadata']['girl_nb']['title'] == 'Core'
    sub = bd.finish_nb({'cells': [_md('[home](../index.ipynb) [core](https://girl-nb.github.io/girl_nb/core.html)', 'x')],
                        'metadata': {}, 'nbformat': 4, 'nbformat_minor': 5}, Path('sub/02_more.ipynb'), PAGES, CFG, 'docs')
    assert ''.join(sub['cells'][0]['source']) == '[home](../index.html) [core](../core.html)'

def test_def_anchors_as_nbdev_modidx():
    src = ('@patch\ndef best_jd(self:GoldJudge, s): pass\n@_method(GoldJudge)\ndef rekey(self:GoldJudge): pass\n'
           'class _PhraseIndex:\n    def coverage(self): pass\n@patch\ndef both(self:A|B): pass\nx = 1')
    assert bd.def_anchors(src) == ['goldjudge.best_jd', 'rekey', '_phraseindex', '_phraseindex.coverage', 'a.both', 'b.both']
    assert bd.def_anchors('def broken(:') == [] and bd.def_anchors('x = 1') == []

def test_show_doc_and_definition_anchors():
    "Each nbdev doc-link fragment is an anchor once per page: show_doc headings first, then definitions"
    def sd(sym, heading, cid):
        return _code(f'#| echo: false\n#| output: asis\nshow_doc({sym})', cid, [{'output_type': 'display_data', 'metadata': {},
                     'data': {'text/markdown': f'---\n\n### {heading}\n\n> {heading} ()', 'text/plain': heading}}])
    def defs(ids, cid): return {**_md('<!-- girl_nb: doc-link anchors -->', cid), 'metadata': {bd.DEF_ANCHORS: ids}}
    assert bd.show_doc_name('#| echo: false\nshow_doc(GoldJudge.best_jd, title_level=4)') == 'GoldJudge.best_jd'
    assert bd.show_doc_name('print(1)') is None and bd.show_doc_name('show_doc(') is None
    nb = {'cells': [defs(['goldjudge', 'goldjudge.score'], 'd0'), sd('GoldJudge', 'GoldJudge', 's0'),
                    sd('GoldJudge.best_jd', 'GoldJudge.best_jd', 's1'), sd('Other.best_jd', 'Other.best_jd', 's2'),
                    defs(['_phraseindex', 'best_jd', 'bad id'], 'd1')],
          'metadata': {}, 'nbformat': 4, 'nbformat_minor': 5}
    out = bd.finish_nb(nb, Path('00_core.ipynb'), PAGES, CFG, 'docs')
    bd.validate(out, 'core')
    srcs = [''.join(c['source']) for c in out['cells']]
    assert srcs[0] == '<div class="girl-anchors"><a id="goldjudge.score"></a></div>'   # `goldjudge` is the show_doc's
    assert '### <a id="goldjudge"></a>GoldJudge' in srcs[1]
    assert '### <a id="goldjudge.best_jd"></a><a id="best_jd"></a>GoldJudge.best_jd' in srcs[2]  # both nbdev forms
    assert '### <a id="other.best_jd"></a>Other.best_jd' in srcs[3]          # `best_jd` taken by the first
    assert srcs[4] == '<div class="girl-anchors"><a id="_phraseindex"></a></div>'  # invalid ids dropped
    assert len(out['cells']) == 5
    rd = bd.finish_nb(nb, Path('00_core.ipynb'), PAGES, CFG, 'readme')     # the README gets no anchors
    assert len(rd['cells']) == 3 and all('<a id=' not in ''.join(c['source']) for c in rd['cells'])

def test_unique_headings_and_toc():
    "Duplicate heading ids (mkdocs-jupyter) become unique; a heading holding its own anchor keeps its id"
    page = ('<h1 id="t">T<a class="anchor-link" href="#t">¶</a></h1>'
            '<h2 id="tokens">Tokens<a class="anchor-link" href="#tokens">¶</a></h2><p id="x">x</p>'
            '<h3 id="tokens"><a id="tokens"></a><a id="a.tokens"></a>tokens<a class="anchor-link" href="#tokens">¶</a></h3>'
            '<h2 id="x">X &amp; <code>y</code></h2><h2 id="">¶</h2><div class="girl-anchors"><a id="t_1"></a></div>')
    out, toks = bd.unique_headings(page)
    assert '<h2 id="tokens_1">Tokens<a class="anchor-link" href="#tokens_1">¶</a></h2>' in out
    assert '<h3 id="tokens"><a id="a.tokens"></a>tokens<a class="anchor-link" href="#tokens">¶</a></h3>' in out
    assert [(t['level'], t['id'], t['name']) for t in toks] == [
        (1, 't', 'T'), (2, 'tokens_1', 'Tokens'), (3, 'tokens', 'tokens'), (2, 'x_1', 'X &amp; y'), (2, '_1', '¶')]
    ids = _parse(out).ids
    assert len(ids) == out.count(' id=') and {'t', 'tokens', 'tokens_1', 'a.tokens', 'x', 'x_1', '_1', 't_1'} == ids

def test_list_nbs_order_and_page_names(tmp_path):
    shutil.copy(ROOT/'settings.ini', tmp_path/'settings.ini')
    for n in ['01a_sim.ipynb', '00_core.ipynb', 'index.ipynb', '01_data.ipynb', '_draft.ipynb',
              '.ipynb_checkpoints/00_core-checkpoint.ipynb', 'sub/10_x.ipynb']:
        (tmp_path/'nbs'/n).parent.mkdir(parents=True, exist_ok=True); (tmp_path/'nbs'/n).write_text('{}')
    rels = [r.as_posix() for r in bd.list_nbs(tmp_path)]
    assert rels == ['index.ipynb', '00_core.ipynb', '01_data.ipynb', '01a_sim.ipynb', 'sub/10_x.ipynb']
    assert [bd.page_name(Path(r)) for r in rels] == ['index.html', 'core.html', 'data.html', 'sim.html', 'sub/x.html']

# ------------------------------------------------------------------ slow: build, serve and browse the site

CHROMIUM = shutil.which('chromium') or shutil.which('chromium-browser') or ('/usr/bin/chromium' if Path('/usr/bin/chromium').exists() else None)
CHROME_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
                '--disable-component-update', '--disable-sync']

class _Links(html.parser.HTMLParser):
    "Collects link targets, element ids, nav links and the title of one HTML page"
    def __init__(self):
        super().__init__()
        self.urls, self.ids, self.nav, self.title, self._a, self._t = [], set(), [], '', None, False
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if 'id' in a: self.ids.add(a['id'])
        if tag == 'a' and 'name' in a: self.ids.add(a['name'])
        for k in ('href', 'src'):
            if a.get(k) and tag in ('a', 'link', 'script', 'img', 'iframe', 'source'): self.urls.append((tag, a[k]))
        if tag == 'a' and 'md-nav__link' in (a.get('class') or ''): self._a = [a.get('href', ''), '']
        if tag == 'title': self._t = True
    def handle_endtag(self, tag):
        if tag == 'a' and self._a is not None: self.nav.append((self._a[0], ' '.join(self._a[1].split()))); self._a = None
        if tag == 'title': self._t = False
    def handle_data(self, data):
        if self._a is not None: self._a[1] += data
        if self._t: self.title += data

def _parse(s):
    p = _Links(); p.feed(s); return p

def _chromium(*args, tmp):
    r = subprocess.run([CHROMIUM, *CHROME_FLAGS, f'--user-data-dir={tmp}', *args], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout

@pytest.mark.skipif(not os.environ.get('GIRL_SLOW'), reason='slow: builds the docs site; set GIRL_SLOW=1')
@pytest.mark.skipif(CHROMIUM is None, reason='chromium not installed (apt-get install -y chromium chromium-driver)')
def test_docs_site_offline(tmp_path):
    res = bd.build(ROOT, tmp_path/'site', tmp_path/'build', quiet=True)
    site = res['site']
    cfg = bd.read_settings(ROOT)
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *a): pass
    handler = functools.partial(Quiet, directory=str(site))
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    base = f'http://127.0.0.1:{srv.server_address[1]}/'
    try:
        dom = _parse(_chromium('--virtual-time-budget=5000', '--dump-dom', base + 'index.html', tmp=tmp_path/'ud1'))
        assert dom.title.strip().startswith(cfg['title']), dom.title
        for nb, page in res['pages'].items():      # every notebook is a page in the sidebar, with its H1 as title
            assert (page, res['titles'][nb]) in dom.nav, f'{nb}: no nav link {page!r} titled {res["titles"][nb]!r} in {dom.nav}'
        pages, broken, external = {}, [], []
        for f in sorted(site.rglob('*.html')): pages[f.relative_to(site).as_posix()] = _parse(f.read_text(encoding='utf-8'))
        for name, p in pages.items():
            for tag, url in p.urls:
                u = urllib.parse.urlsplit(url)
                if u.scheme in ('mailto', 'data', 'javascript'): continue
                if u.scheme or u.netloc:
                    if tag in ('script', 'link', 'img', 'iframe', 'source'): external.append(f'{name}: <{tag}> {url}')
                    continue
                tgt = urllib.parse.urljoin(base + name, u.path or name)
                try: urllib.request.urlopen(tgt, timeout=10).read()
                except urllib.error.URLError as e: broken.append(f'{name}: {url} -> {e}'); continue
                tname = urllib.parse.unquote(urllib.parse.urlsplit(tgt).path.lstrip('/'))
                if u.fragment and tname in pages and u.fragment not in pages[tname].ids:
                    broken.append(f'{name}: {url} -> no id {u.fragment!r} in {tname}')
        assert not broken, 'broken internal links:\n' + '\n'.join(broken)
        assert not external, 'assets loaded from the network (fail offline):\n' + '\n'.join(external)
        if res['mathjax']: assert (site/'assets'/'mathjax'/'MathJax.js').exists()
        out = ROOT/'_docs_check'
        out.mkdir(exist_ok=True)
        shot = out/'home.png'
        _chromium(f'--screenshot={shot}', '--window-size=1280,900', '--virtual-time-budget=5000', base + 'index.html', tmp=tmp_path/'ud2')
        assert shot.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n' and shot.stat().st_size > 10_000
    finally:
        srv.shutdown()

def test_readme_headline_is_the_kept_draws():
    "The README's claims table is `claims_table` of the draws kept in nbs/draws/ (`girl replicates nbs/draws/demo-*`)"
    from girl_nb.pipeline import claims_table, collect_replicates
    folders = sorted((ROOT/'nbs'/'draws').glob('demo-*'))
    assert folders, 'no kept draws in nbs/draws'
    seeds = [json.loads((f/'pipeline.json').read_text())['config']['seed'] for f in folders]
    table = claims_table(collect_replicates(folders, echo=lambda *a: None), seeds)
    readme = (ROOT/'README.md').read_text(encoding='utf-8')
    assert table in readme, ('README.md (from nbs/index.ipynb) does not show the claims table of the kept draws; '
                             f'paste this into the index notebook and run tools/make_readme.py:\n{table}')
