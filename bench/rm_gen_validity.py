"""The reward model's validity where PPO reads it, at any sampling temperature: gold Spearman on generated JDs.

    python bench/rm_gen_validity.py --run runs/demo --temperature 1.0 [--temperature 0.5 ...]

For a finished run (OUT/data, OUT/sft, OUT/reward and OUT/pipeline.json), sample reward.gen_per_cv JDs from OUT/sft for
reward.n_gen_cvs `gen_val` CVs at each temperature and print the reward model's gold Spearman over all of them and
within a CV, beside the JDs' mean gold score: `girl_nb.reward.rm_gen_validity`, the reward stage's own check
(`rm_gen_spearman`) at another temperature, with JDs through the run's generation cache. The run's recorded settings
are used (its seed and sizes); `--set section.key=value` amends them. At the run's own temperature it reproduces
OUT/reward/metrics.json's `rm_gen_spearman` and `rm_gen_spearman_within_cv` to the last digit. Validation CVs only:
nothing here reads gen_test.
"""
import argparse, sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rl_peers import _recorded_config
from girl_nb.reward import rm_gen_validity


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--run", required=True, help="a finished run folder")
    ap.add_argument("--temperature", type=float, action="append", required=True, help="sampling temperature (repeatable)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="amend the run's recorded settings")
    a = ap.parse_args(argv)
    out = Path(a.run)
    print("| temperature | generated JDs | gold Spearman | within a CV | mean gold |\n|---:|---:|---:|---:|---:|")
    for t in a.temperature:
        r = rm_gen_validity(_recorded_config(out, a.set), out, temperature=t)
        print(f"| {t:g} | {r['rm_gen_n']} | {r['rm_gen_spearman']:.3f} | {r['rm_gen_spearman_within_cv']:.3f} | {r['gold_mean']:.3f} |")


if __name__ == "__main__": main()
