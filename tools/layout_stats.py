"""Layout figures of a girl_nb tree (issue 19): module sizes, long lines, `;` joins, exported cells defining several
things, names in `__all__`. Usage: python tools/layout_stats.py [TREE] (default: this repository)."""
import ast, io, json, re, sys, tokenize
from pathlib import Path
root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1]
mods = sorted(p for p in (root/"girl_nb").glob("*.py") if p.name not in ("_modidx.py", "__init__.py"))
lines = [l for p in mods for l in p.read_text().splitlines()]
def semis(src):
    try: return {t.start[0] for t in tokenize.generate_tokens(io.StringIO(src).readline) if t.type == tokenize.OP and t.string == ";"}
    except Exception: return set()
nsemi = sum(len(semis(p.read_text())) for p in mods)
cells = multi = 0
for nb in sorted((root/"nbs").glob("*.ipynb")):
    for c in json.loads(nb.read_text())["cells"]:
        s = "".join(c["source"])
        if c["cell_type"] != "code" or not s.lstrip().startswith("#| export"): continue
        cells += 1
        try: t = ast.parse(s)
        except SyntaxError: continue
        if sum(isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)) for n in t.body) > 1: multi += 1
alls = 0
for p in mods:
    m = re.search(r"__all__ = \[(.*?)\]", p.read_text(), re.S)
    alls += len(re.findall(r"'[^']+'", m.group(1))) if m else 0
print(f"modules {len(mods)}, lines {len(lines)}, largest " + ", ".join(f"{p.name} {len(p.read_text().splitlines())}" for p in sorted(mods, key=lambda p: -len(p.read_text().splitlines()))[:6]))
print(f"lines > 120 chars: {sum(len(l) > 120 for l in lines)} ({100*sum(len(l) > 120 for l in lines)/len(lines):.1f}%); > 110: {sum(len(l) > 110 for l in lines)}")
print(f"lines joining statements with ';': {nsemi}")
print(f"exported cells: {cells}, defining several things: {multi} ({100*multi/cells:.0f}%)")
print(f"names in __all__: {alls}")
