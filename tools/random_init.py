"""A randomly initialised copy of a bundled model's architecture (for speed benchmarks where the weights cannot travel).

    python tools/random_init.py --like smollm2 --out DIR
"""
import argparse, json, sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# SmolLM2-135M-Instruct's architecture (its config.json), so no weights or hub access are needed
SMOLLM2 = dict(architectures=["LlamaForCausalLM"], model_type="llama", hidden_size=576, intermediate_size=1536, num_hidden_layers=30,
               num_attention_heads=9, num_key_value_heads=3, max_position_embeddings=8192, rms_norm_eps=1e-5, rope_theta=100000.0,
               tie_word_embeddings=True, vocab_size=49152, bos_token_id=1, eos_token_id=2, pad_token_id=0, hidden_act="silu")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--like", default="smollm2", choices=["smollm2"]); ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM
    from girl_nb.core import load_tokenizer
    torch.manual_seed(0)
    model = LlamaForCausalLM(LlamaConfig(**{k: v for k, v in SMOLLM2.items() if k not in ("architectures", "model_type")})).to(torch.bfloat16)
    model.save_pretrained(a.out, safe_serialization=True)
    load_tokenizer("tiny").save_pretrained(a.out)  # the tiny generator shares SmolLM2's tokenizer
    print(a.out)


if __name__ == "__main__": main()
