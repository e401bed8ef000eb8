"""Two RLRF runs of one draw on the same `gen_val` CVs: B − A per CV at each check, paired.

    python bench/rlrf_compare.py --run runs/a --compare runs/b [--key gold_greedy] [--after 0]

Both runs' RLRF stages wrote OUT/rlrf/eval_cvs.jsonl (each `gen_val` check's figures per CV: `gold_greedy`, the gold
score of greedy JDs, as the judge decodes; `gold`, of JDs sampled at the rollout temperature; `rm_reward`). The runs must
share their data stage (the same draw), so they checked the same CVs; the trainer samples them with the same seed, so
at iteration 0 (the SFT model in both) the gold figures agree exactly, a check that the runs are comparable. Each row is
`girl_nb.rlrf_stage.compare_gen_val`: the two means, B − A with its 95% interval over CVs and the minimum detectable
effect; the last row averages each CV over the checks after `--after` before pairing. `rm_reward` compares only runs
that read the same reward model (an ensemble standardises its scale). This is how a setting of the
RLRF stage (e.g. `reward.ensemble` 3 against 1) is read on validation CVs; nothing here reads gen_test.
"""
import argparse, sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--run", required=True, help="run A (a folder whose rlrf stage finished)")
    ap.add_argument("--compare", required=True, nargs="+", metavar="RUN_B", help="runs of the same draw, each against A")
    ap.add_argument("--key", default="gold_greedy", choices=("gold_greedy", "gold", "rm_reward"), help="the per-CV figure")
    ap.add_argument("--after", type=int, default=0, help="the last row averages the checks after this iteration")
    a = ap.parse_args(argv)
    from girl_nb.pipeline import check_same_draw
    from girl_nb.rlrf_stage import compare_gen_val
    try: check_same_draw(a.run, *a.compare, what="RLRF runs")
    except ValueError as e: raise SystemExit(str(e)) from None
    print("| B | iteration | A | B | B - A [95% CI over CVs] | MDE | CVs |\n|---|---|---:|---:|---:|---:|---:|")
    for b in a.compare:
        for r in compare_gen_val(a.run, b, a.key, a.after):
            lo, hi = r["ci95"]
            print(f"| {Path(b).name} | {r['iteration']} | {r['a']:.3f} | {r['b']:.3f} | {r['mean']:+.3f} [{lo:+.3f}, {hi:+.3f}] | "
                  f"{r['mde']:.3f} | {r['n']} |")


if __name__ == "__main__": main()
