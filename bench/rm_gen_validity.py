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
"""
import argparse, sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rl_peers import _recorded_config
from girl_nb.reward import paired_spearman_diff, rm_gen_validity


def compare(cfg, out_a:Path, out_b:Path, temperature:float, n_boot:int=1000, seed:int=0) -> dict:
    "Run A's and run B's reward models on run A's generated gen_val JDs: Spearmans and B - A, paired bootstrap over CVs"
    from girl_nb.pipeline import finished_key
    ka, kb = finished_key(out_a, "data"), finished_key(out_b, "data")
    if ka is None or ka != kb:
        raise SystemExit(f"{out_b/'data'}: not the data stage of {out_a} (keys {kb} and {ka}): compare reward models of one draw")
    va, vb = (rm_gen_validity(cfg, out_a, temperature, reward_dir=o/"reward", scores=True) for o in (out_a, out_b))
    assert va["seeker_id"] == vb["seeker_id"], "the generation cache gave the two reward models different JDs"
    return dict(temperature=float(temperature), **paired_spearman_diff(va["seeker_id"], va["u"], vb["u"], va["g"], n_boot, seed))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--run", required=True, help="a finished run folder")
    ap.add_argument("--temperature", type=float, action="append", required=True, help="sampling temperature (repeatable)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="amend the run's recorded settings")
    ap.add_argument("--compare", metavar="RUN_B", help="a second run of the same draw: both reward models on run A's JDs")
    a = ap.parse_args(argv)
    out = Path(a.run)
    if a.compare:
        print("| temperature | JDs (CVs) | Spearman | A | B | B - A [95% paired bootstrap over CVs] |\n|---:|---:|---|---:|---:|---:|")
        for t in a.temperature:
            r = compare(_recorded_config(out, a.set), out, Path(a.compare), t)
            for name in ("overall", "within"):
                x = r[name]
                print(f"| {t:g} | {r['n']} ({r['n_cvs']}) | {name if name == 'overall' else 'within a CV'} | {x['a']:.3f} | "
                      f"{x['b']:.3f} | {x['diff']:+.3f} [{x['lo']:+.3f}, {x['hi']:+.3f}] |")
        return
    print("| temperature | generated JDs | gold Spearman | within a CV | mean gold |\n|---:|---:|---:|---:|---:|")
    for t in a.temperature:
        r = rm_gen_validity(_recorded_config(out, a.set), out, temperature=t)
        print(f"| {t:g} | {r['rm_gen_n']} | {r['rm_gen_spearman']:.3f} | {r['rm_gen_spearman_within_cv']:.3f} | {r['gold_mean']:.3f} |")


if __name__ == "__main__": main()
