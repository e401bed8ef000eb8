"Notebook hygiene that nbdev does not check for us."
import ast, json
from pathlib import Path
import pytest

NBS = sorted((Path(__file__).resolve().parents[1] / "nbs").glob("*.ipynb"))
EXPORTS = ("#| export", "#| exporti", "#| exports")


def mixed_import_cells(nb: Path) -> list[str]:
    "Code cells that mix a top-level import with other statements: nbdev's docs build runs every import cell, so these fail there"
    bad = []
    for i, c in enumerate(json.loads(nb.read_text())["cells"]):
        src = "".join(c["source"])
        if c["cell_type"] != "code" or any(src.lstrip().startswith(e) for e in EXPORTS) or "nbdev_export()" in src: continue
        try: body = ast.parse("\n".join(l for l in src.splitlines() if not l.startswith("#|"))).body
        except SyntaxError: continue
        imps = [n for n in body if isinstance(n, (ast.Import, ast.ImportFrom))]
        if imps and len(imps) < len(body): bad.append(f"{nb.name} cell {i}: {src.splitlines()[0][:60]}")
    return bad


@pytest.mark.parametrize("nb", NBS, ids=lambda p: p.name)
def test_imports_in_cells_of_their_own(nb):
    assert not mixed_import_cells(nb), "move the imports into a cell of their own:\n" + "\n".join(mixed_import_cells(nb))


@pytest.mark.parametrize("nb", NBS, ids=lambda p: p.name)
def test_notebook_opens_with_title_and_summary(nb):
    "Each chapter has an H1 title and a one-line `>` summary (the docs site and README use them)"
    md = ["".join(c["source"]) for c in json.loads(nb.read_text())["cells"] if c["cell_type"] == "markdown"]
    first = next(m for m in md if m.lstrip().startswith("# "))
    assert "\n> " in first or first.splitlines()[1:2] and first.splitlines()[1].startswith(">"), f"{nb.name}: H1 without a `>` summary line"


@pytest.mark.parametrize("nb", NBS, ids=lambda p: p.name)
def test_relative_links_exist(nb):
    "A relative link in a notebook's markdown must point at a file of the repository (the docs site serves nothing else)"
    import re
    bad = []
    for c in json.loads(nb.read_text())["cells"]:
        if c["cell_type"] != "markdown": continue
        for url in re.findall(r"\]\(([^)\s]+)\)", "".join(c["source"])):
            if re.match(r"^[a-z]+:|^#", url): continue
            if not (nb.parent / url.split("#")[0]).exists(): bad.append(url)
    assert not bad, f"{nb.name}: links to files that are not in the repository: {bad}"
