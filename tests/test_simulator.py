"Tests of the labour-market simulator and gold judge (girl_nb.simulator, from nbs/01c_simulator.ipynb)"
import json, re
from collections import Counter, defaultdict

import numpy as np
import pytest

from girl_nb.data import DEFAULT_WINDOWS
from girl_nb.occupations import load_snapshot
from girl_nb.simulator import GoldJudge, THETA, simulate, utility

SIZES = dict(sft_pairs=400, rm_cvs=300, rl_cvs=100, rec_pairs=1000, n_jobs=500)


def window_of(ts, windows=DEFAULT_WINDOWS):
    for k, (a, b) in windows.items():
        if a <= ts[:10] <= b: return k
    return None


def auc(pos, neg):
    pos, neg = np.asarray(pos)[:, None], np.asarray(neg)[None, :]
    return float((pos > neg).mean() + .5 * (pos == neg).mean())


@pytest.fixture(scope='module')
def sim(): return simulate(**SIZES, seed=0)


@pytest.fixture(scope='module')
def by_window(sim):
    out = defaultdict(list)
    for x in sim.interactions: out[window_of(x['timestamp'])].append(x)
    return out


def test_determinism(sim):
    again = simulate(**SIZES, seed=0)
    assert again.seekers == sim.seekers and again.jobs == sim.jobs and again.interactions == sim.interactions
    other = simulate(**SIZES, seed=1)
    assert other.seekers != sim.seekers and other.interactions != sim.interactions


def test_record_fields(sim):
    assert set(sim.seekers[0]) == {'seeker_id', 'cv', 'created_at'}
    assert set(sim.jobs[0]) == {'job_id', 'jd', 'posted_at'}
    assert set(sim.interactions[0]) == {'seeker_id', 'job_id', 'label', 'timestamp'}
    assert {x['label'] for x in sim.interactions} == {0, 1}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", sim.interactions[0]['timestamp'])
    assert len({s['seeker_id'] for s in sim.seekers}) == len(sim.seekers)
    assert len({(x['seeker_id'], x['job_id']) for x in sim.interactions}) == len(sim.interactions)   # no pair twice


def test_sizes_and_windows(sim, by_window):
    assert None not in by_window, "an interaction fell outside every window"
    sft = by_window['sft']
    assert len(sft) == SIZES['sft_pairs'] and all(x['label'] == 1 for x in sft)
    rm = Counter((x['seeker_id'], x['label']) for x in by_window['rm'])
    assert len({s for s, _ in rm}) == SIZES['rm_cvs'] and set(rm.values()) == {1}
    assert sum(1 for (_, l) in rm if l == 1) == SIZES['rm_cvs']
    assert len({x['seeker_id'] for x in by_window['rl']}) == SIZES['rl_cvs']
    rec = {k: len(by_window[k]) for k in ('rec_train', 'rec_val', 'rec_test')}
    assert sum(rec.values()) == SIZES['rec_pairs']
    for k, share in dict(rec_train=.774, rec_val=.095, rec_test=.131).items():   # Table I proportions
        assert abs(rec[k] / SIZES['rec_pairs'] - share) < .01, (k, rec)
    assert len(sim.jobs) == SIZES['n_jobs']


def test_dates_precede_interactions(sim):
    first = {}
    for x in sim.interactions:
        first[x['seeker_id']] = min(first.get(x['seeker_id'], '9'), x['timestamp'])
        first[x['job_id']] = min(first.get(x['job_id'], '9'), x['timestamp'])
    assert all(s['created_at'] <= first[s['seeker_id']][:10] for s in sim.seekers)
    assert all(j['posted_at'] <= first[j['job_id']][:10] for j in sim.jobs if j['job_id'] in first)


def test_disjoint_populations_and_cold_start(sim, by_window):
    pops = {k: {x['seeker_id'] for x in v} for k, v in by_window.items()}
    rec = pops['rec_train'] | pops['rec_val'] | pops['rec_test']
    groups = [pops['sft'], pops['rm'], pops['rl'], rec]
    assert sum(map(len, groups)) == len(set().union(*groups)) == len(sim.seekers)
    cold = pops['rec_test'] - pops['rec_train']
    assert abs(len(cold) / len(pops['rec_test']) - .2) < .03
    assert all(sim.gold.seeker_info(s)['cold_start'] for s in cold)
    assert pops['rec_val'] <= pops['rec_train']


def test_labels_follow_hidden_utility(sim):
    g = sim.gold
    si = np.array([g._s[x['seeker_id']] for x in sim.interactions]); ji = np.array([g._j[x['job_id']] for x in sim.interactions])
    lab = np.array([x['label'] for x in sim.interactions]); u = utility(g.snap, g.sk, g.jb, si, ji)
    assert (u[lab == 1] >= THETA).mean() > .8 and (u[lab == 0] < THETA).mean() > .9
    rel = g.snap.rel[g.sk['occ'][si], g.jb['occ'][ji]]
    assert (rel[lab == 0] >= .3).mean() > .3   # hard negatives from related occupations


def test_gold_auc_and_best_jd(sim, by_window):
    jd = {j['job_id']: j['jd'] for j in sim.jobs}; rm = by_window['rm']
    g = sim.gold.score_many([x['seeker_id'] for x in rm], [jd[x['job_id']] for x in rm])
    lab = np.array([x['label'] for x in rm])
    assert auc(g[lab == 1], g[lab == 0]) > .8
    ids = sorted({x['seeker_id'] for x in rm})[:150]
    best = sim.gold.score_many(ids, [sim.gold.best_jd(s) for s in ids])
    theirs = [(x['seeker_id'], jd[x['job_id']]) for x in rm if x['seeker_id'] in set(ids)]
    assert best.mean() >= sim.gold.score_many(*zip(*theirs)).mean()
    assert best.mean() > .85


def test_garbage_and_generic_text(sim):
    s = sim.seekers[0]['seeker_id']; proper = sim.gold.score(s, sim.gold.best_jd(s))
    generic = ("We are looking for a motivated, passionate person to join our dynamic team. You will collaborate with great "
               "colleagues, learn every day and grow with a company that values people and innovation.")
    for text in ["", "   ", "\x00\x01 ### 12345 qwerty", "Job title:", generic, "ñ" * 5000]:
        v = sim.gold.score(s, text)
        assert 0 <= v < .25 and v < proper - .5, (text[:30], v)


def test_score_errors(sim):
    with pytest.raises(KeyError, match='nobody'): sim.gold.score('nobody', 'x')
    with pytest.raises(ValueError, match='2 seeker ids but 1 texts'): sim.gold.score_many(['a', 'b'], ['x'])
    assert sim.gold.score_many([], []).shape == (0,)


def test_pii_injected(sim):
    with_pii = [s for s in sim.seekers if sim.gold.seeker_info(s['seeker_id'])['pii']]
    assert abs(len(with_pii) / len(sim.seekers) - .3) < .05
    for s in with_pii[:50]:
        for v in sim.gold.seeker_info(s['seeker_id'])['pii'].values(): assert v in s['cv']
    assert not any('@' in s['cv'] for s in sim.seekers if s not in with_pii)


def test_save_load_rekey(sim, tmp_path):
    p = sim.gold.save(tmp_path / 'gold')
    assert sorted(f.name for f in p.iterdir()) == ['ids.json', 'meta.json', 'state.npz']
    assert json.loads((p / 'meta.json').read_text())['theta'] == THETA
    g2 = GoldJudge.load(p)
    ids = [s['seeker_id'] for s in sim.seekers[:30]]; jds = [j['jd'] for j in sim.jobs[:30]]
    np.testing.assert_allclose(g2.score_many(ids, jds), sim.gold.score_many(ids, jds))
    assert g2.seeker_info(ids[0]) == sim.gold.seeker_info(ids[0]) and g2.job_info(sim.jobs[0]['job_id']) == sim.gold.job_info(sim.jobs[0]['job_id'])
    smap = {s: f"h{i}" for i, s in enumerate(ids)}; jmap = {sim.jobs[0]['job_id']: 'hjob'}
    g3 = g2.rekey(smap, jmap)
    np.testing.assert_allclose(g3.score_many([smap[s] for s in ids], jds), sim.gold.score_many(ids, jds))
    assert g3.job_info('hjob')['title'] == sim.gold.job_info(sim.jobs[0]['job_id'])['title']
    assert g3.best_jd('h0') == sim.gold.best_jd(ids[0])
    with pytest.raises(KeyError): g3.seeker_info(ids[0])
    (p / 'meta.json').write_text('{"format": "other"}')
    with pytest.raises(ValueError, match="meta.json: field 'format'"): GoldJudge.load(p)


def test_chinese():
    sim = simulate(sft_pairs=150, rm_cvs=200, rl_cvs=20, rec_pairs=100, n_jobs=300, language='zh', seed=3)
    assert all(re.search(r'[\u4e00-\u9fff]', s['cv']) for s in sim.seekers)
    assert all('职位名称' in j['jd'] or '职位' in j['jd'] for j in sim.jobs)
    assert any(re.search(r'\d+(\.\d+)?[kK]', j['jd']) for j in sim.jobs)   # salaries in k/month
    jd = {j['job_id']: j['jd'] for j in sim.jobs}
    rm = [x for x in sim.interactions if window_of(x['timestamp']) == 'rm']
    g = sim.gold.score_many([x['seeker_id'] for x in rm], [jd[x['job_id']] for x in rm]); lab = np.array([x['label'] for x in rm])
    assert auc(g[lab == 1], g[lab == 0]) > .8
    info = sim.gold.seeker_info(sim.seekers[0]['seeker_id'])
    assert info['salary_unit'] == 'CNY/month' and info['city'] in load_snapshot('zh').cities
    assert sim.gold.score(sim.seekers[0]['seeker_id'], '') < .1


def test_custom_windows_and_bad_arguments():
    w = {**DEFAULT_WINDOWS, 'sft': ('2024-01-01', '2024-01-02')}
    sim = simulate(sft_pairs=20, rm_cvs=0, rl_cvs=0, rec_pairs=0, n_jobs=50, windows=w)
    assert len(sim.interactions) == 20 and all(x['timestamp'][:10] in ('2024-01-01', '2024-01-02') for x in sim.interactions)
    with pytest.raises(ValueError, match="window 'rm'"): simulate(1, 1, 1, 1, 50, windows={**DEFAULT_WINDOWS, 'rm': ('2023-05-09', 'x')})
    with pytest.raises(ValueError, match='sft_pairs'): simulate(-1, 1, 1, 1, 50)
    with pytest.raises(ValueError, match='label_noise'): simulate(1, 1, 1, 1, 50, label_noise=2)
    with pytest.raises(ValueError, match="language"): simulate(1, 1, 1, 1, 50, language='fr')
