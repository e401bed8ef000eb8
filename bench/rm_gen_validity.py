"""The reward model's validity where PPO reads it, at any sampling temperature: gold Spearman on generated JDs.

    python bench/rm_gen_validity.py --run runs/demo --temperature 1.0 [--temperature 0.5 ...]

For a finished run (OUT/data, OUT/sft, OUT/reward and OUT/pipeline.json), sample reward.gen_per_cv JDs from OUT/sft for
reward.n_gen_cvs `gen_val` CVs at each temperature and print the reward model's gold Spearman over all of them and
within a CV, beside the JDs' mean gold score: `girl_nb.reward.rm_gen_validity`, the reward stage's own check
(`rm_gen_spearman`) at another temperature, with JDs through the run's generation cache. The run's recorded settings
are used (its seed and sizes); `--set section.key=value` amends them. At the run's own temperature it reproduces
OUT/reward/metrics.json's `rm_gen_spearman` and `rm_gen_spearman_within_cv` to the last digit. Validation CVs only:
nothing here reads gen_test.

    python bench/rm_gen_validity.py --run runs/a --compare runs/b --temperature 0.5   # two reward models, the same JDs

With --compare, the JDs are run A's (its SFT model, seed and generation cache), and both runs' reward models score the
same JDs: each one's Spearman, and B - A with a 95% interval from a paired bootstrap over CVs (a CV's JDs resampled
together). The runs must share their data stage (the same draw), so that B's reward model is compared on CVs it
never trained on either. This is how a reward-model setting (e.g. feedback.n_cvs) is chosen on gen_val.

    python bench/rm_gen_validity.py --run runs/a --compare runs/b runs/c --ensemble --temperature 1.0
    python bench/rm_gen_validity.py --run runs/e --members --temperature 1.0   # a reward.ensemble run: members vs their mean

--compare takes several runs (each compared with A); --ensemble adds two more B: the mean of all the models' scores
(A's and the others'), each standardised first, over the scored JDs, or over each model's held-out labelled rows
(OUT/reward/heldout_scores.jsonl) as `reward.ensemble` standardises its members.
"""
import argparse, sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rl_peers import _recorded_config
from girl_nb.core import read_jsonl
from girl_nb.reward import fit_standardisation, paired_spearman_diff, rm_gen_validity, standardised_mean


def _heldout_moments(runs:list[Path]) -> tuple[list, list]:
    "Each run's reward-model mean and sd over its held-out labelled rows (OUT/reward/heldout_scores.jsonl): `fit_standardisation`, as reward.ensemble fits them"
    rows = [read_jsonl(o/"reward"/"heldout_scores.jsonl") for o in runs]
    keys = [[(r["seeker_id"], r["job_id"]) for r in rr] for rr in rows]
    if any(k != keys[0] for k in keys):
        raise SystemExit(f"{', '.join(str(o) for o in runs)}: the reward models held out different rows; compare models of one draw")
    return fit_standardisation([[r["score"] for r in rr] for rr in rows])


def compare(cfg, out_a:Path, others:list[Path], temperature:float, ensemble:bool=False, n_boot:int=1000, seed:int=0) -> list[dict]:
    "Run A's and each other run's reward model on run A's generated gen_val JDs: Spearmans and B - A, paired bootstrap over CVs"
    import numpy as np
    from girl_nb.pipeline import check_same_draw
    try: check_same_draw(out_a, *others, what="reward models")
    except ValueError as e: raise SystemExit(str(e)) from None
    v = rm_gen_validity(cfg, out_a, temperature, reward_dir=[o/"reward" for o in [out_a, *others]], scores=True)  # the same JDs
    ids, u_a, g = v[0]["seeker_id"], v[0]["u"], v[0]["g"]
    rows = [dict(b=o.name, **paired_spearman_diff(ids, u_a, x["u"], g, n_boot, seed)) for o, x in zip(others, v[1:])]
    if ensemble:  # each model's scores standardised (their scales differ), then averaged
        us = [np.asarray(x["u"]) for x in v]
        z = np.mean([(u - u.mean()) / (u.std() or 1.0) for u in us], 0)
        rows.append(dict(b=f"mean of {len(v)}, standardised on these JDs", **paired_spearman_diff(ids, u_a, z, g, n_boot, seed)))
        mu, sd = _heldout_moments([out_a, *others])
        e = standardised_mean(us, mu, sd).numpy()  # what `reward.ensemble` scores: the moments of the held-out rows
        rows.append(dict(b=f"mean of {len(v)}, standardised on held-out rows", **paired_spearman_diff(ids, u_a, e, g, n_boot, seed)))
    return [dict(temperature=float(temperature), **r) for r in rows]


def members(cfg, out:Path, temperature:float, n_boot:int=1000, seed:int=0) -> list[dict]:
    "A `reward.ensemble` run's members and their standardised mean on its gen_val JDs, each against member 0 (A)"
    v = rm_gen_validity(cfg, out, temperature, scores=True)
    if "u_members" not in v: raise SystemExit(f"{out/'reward'}: one reward model (no ensemble.json); --members reads a reward.ensemble run")
    ids, g, um = v["seeker_id"], v["g"], v["u_members"]
    rows = [dict(b=f"member {i}", **paired_spearman_diff(ids, um[0], u, g, n_boot, seed)) for i, u in enumerate(um[1:], 1)]
    rows.append(dict(b=f"mean of {len(um)} (reward.ensemble)", **paired_spearman_diff(ids, um[0], v["u"], g, n_boot, seed)))
    return [dict(temperature=float(temperature), **r) for r in rows]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--run", required=True, help="a finished run folder")
    ap.add_argument("--temperature", type=float, action="append", required=True, help="sampling temperature (repeatable)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="amend the run's recorded settings")
    ap.add_argument("--compare", nargs="+", metavar="RUN_B", help="other runs of the same draw: each reward model on run A's JDs")
    ap.add_argument("--ensemble", action="store_true", help="with --compare: also the mean of every model's standardised scores")
    ap.add_argument("--members", action="store_true", help="a reward.ensemble run: each member and the ensemble against member 0 (A)")
    a = ap.parse_args(argv)
    out = Path(a.run)
    if a.ensemble and not a.compare: ap.error("--ensemble needs --compare")
    if a.compare and a.members: ap.error("--members reads one run: drop --compare")
    if a.compare or a.members:
        print("| temperature | JDs (CVs) | B | Spearman | A | B | B - A [95% paired bootstrap over CVs] |\n"
              "|---:|---:|---|---|---:|---:|---:|")
        for t in a.temperature:
            cfg = _recorded_config(out, a.set)
            got = members(cfg, out, t) if a.members else compare(cfg, out, [Path(p) for p in a.compare], t, a.ensemble)
            for r in got:
                for name in ("overall", "within"):
                    x = r[name]
                    print(f"| {t:g} | {r['n']} ({r['n_cvs']}) | {r['b']} | {name if name == 'overall' else 'within a CV'} | "
                          f"{x['a']:.3f} | {x['b']:.3f} | {x['diff']:+.3f} [{x['lo']:+.3f}, {x['hi']:+.3f}] |")
        return
    print("| temperature | generated JDs | gold Spearman | within a CV | mean gold |\n|---:|---:|---:|---:|---:|")
    for t in a.temperature:
        r = rm_gen_validity(_recorded_config(out, a.set), out, temperature=t)
        print(f"| {t:g} | {r['rm_gen_n']} | {r['rm_gen_spearman']:.3f} | {r['rm_gen_spearman_within_cv']:.3f} | {r['gold_mean']:.3f} |")


if __name__ == "__main__": main()
