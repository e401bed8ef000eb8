"""The reward model's validity where PPO reads it, at any sampling temperature: gold Spearman on generated JDs.

    python bench/rm_gen_validity.py --run runs/demo --temperature 1.0 [--temperature 0.5 ...]

For a finished run (OUT/data, OUT/sft, OUT/reward and OUT/pipeline.json), sample reward.gen_per_cv JDs from OUT/sft for
reward.n_gen_cvs `gen_val` CVs at each temperature (the reward stage's own check, `rm_gen_spearman`, with only
reward.gen.temperature changed; JDs go through the run's generation cache) and print the reward model's gold Spearman
over all of them and within a CV, beside the JDs' mean gold score. The run's recorded settings are used (its seed and
sizes); `--set section.key=value` amends them. At the run's own temperature it reproduces OUT/reward/metrics.json's
`rm_gen_spearman` and `rm_gen_spearman_within_cv` to the last digit. Validation CVs only: nothing here reads gen_test.
"""
import argparse, json, sys
from pathlib import Path
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rl_peers import _recorded_config


def validity(cfg, out:Path) -> dict:
    "rm_gen_spearman, its within-CV form and the JDs' mean gold: the reward stage's own `_generated` and `_gold_metrics`"
    from girl_nb.core import get_device
    from girl_nb.reward import _generated, _gold_metrics, _load_data, load_reward_model
    rc = cfg.reward
    splits, _, gold = _load_data(rc, None, None, out)
    if gold is None: raise SystemExit(f"{out/'data'}: no gold judge (simulator data only)")
    gen = _generated(cfg, rc, out, splits, gold)
    model, tok = load_reward_model(out/"reward", get_device(cfg.device))
    ev = dict(u=np.zeros(0), g=np.zeros(0))  # no held-out real pairs: only the generated-JD figures are read
    m = _gold_metrics(model, tok, ev, gen, gold, rc.score_batch_size)
    return dict(n=m["rm_gen_n"], rm_gen_spearman=m["rm_gen_spearman"],
                rm_gen_spearman_within_cv=m["rm_gen_spearman_within_cv"], gold_mean=float(ev["g_gen"].mean()))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--run", required=True, help="a finished run folder")
    ap.add_argument("--temperature", type=float, action="append", required=True, help="sampling temperature (repeatable)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="amend the run's recorded settings")
    a = ap.parse_args(argv)
    out = Path(a.run)
    print("| temperature | generated JDs | gold Spearman | within a CV | mean gold |\n|---:|---:|---:|---:|---:|")
    for t in a.temperature:
        r = validity(_recorded_config(out, a.set + [f"reward.gen.temperature={t}"]), out)
        print(f"| {t:g} | {r['n']} | {r['rm_gen_spearman']:.3f} | {r['rm_gen_spearman_within_cv']:.3f} | {r['gold_mean']:.3f} |")


if __name__ == "__main__": main()
