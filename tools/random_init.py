"""A randomly initialised copy of a bundled model's architecture (for speed benchmarks where the weights cannot travel).

    python tools/random_init.py --like smollm2 --out DIR     # SmolLM2-135M-Instruct shape, its tokenizer
    python tools/random_init.py --like minilm --out DIR      # all-MiniLM-L6-v2 shape (BERT), its tokenizer and config
    python tools/random_init.py --like smollm2 --out DIR --tokenizer-from TOKDIR   # on a machine without the bundled packages

The folder holds safetensors weights and a tokenizer, so every loader of girl_nb takes it like the real model. The weights
are random: use it for timings only, never for quality figures.
"""
import argparse, json, shutil, sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# SmolLM2-135M-Instruct's architecture (its config.json), so no weights or hub access are needed
SMOLLM2 = dict(architectures=["LlamaForCausalLM"], model_type="llama", hidden_size=576, intermediate_size=1536, num_hidden_layers=30,
               num_attention_heads=9, num_key_value_heads=3, max_position_embeddings=8192, rms_norm_eps=1e-5, rope_theta=100000.0,
               tie_word_embeddings=True, vocab_size=49152, bos_token_id=1, eos_token_id=2, pad_token_id=0, hidden_act="silu")
# all-MiniLM-L6-v2's architecture (BERT, 6 layers x 384)
MINILM = dict(hidden_size=384, intermediate_size=1536, num_hidden_layers=6, num_attention_heads=12, max_position_embeddings=512,
              vocab_size=30522, type_vocab_size=2, hidden_act="gelu", layer_norm_eps=1e-12, pad_token_id=0)
MINILM_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json")


def smollm2(out:Path, src:Path|None=None):
    "LLaMA of SmolLM2-135M's shape; tokenizer from `src` (a folder holding it) or the bundled package"
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM
    model = LlamaForCausalLM(LlamaConfig(**{k: v for k, v in SMOLLM2.items() if k not in ("architectures", "model_type")})).to(torch.bfloat16)
    model.save_pretrained(out, safe_serialization=True)
    if src is None:
        from girl_nb.models import load_tokenizer
        load_tokenizer("tiny").save_pretrained(out)  # the tiny generator shares SmolLM2's tokenizer
    else: AutoTokenizer.from_pretrained(src).save_pretrained(out)


def minilm(out:Path, src:Path|None=None):
    "BERT of MiniLM's shape; tokenizer files from `src` (a folder holding them) or the bundled package"
    from transformers import BertConfig, BertModel
    if src is None:
        from girl_nb.models import package_dir
        src = package_dir("all-minilm-l6-v2")/"model"
    BertModel(BertConfig(**MINILM)).save_pretrained(out, safe_serialization=True)
    for f in MINILM_FILES:
        if (Path(src)/f).is_file(): shutil.copy(Path(src)/f, out/f)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--like", default="smollm2", choices=["smollm2", "minilm"]); ap.add_argument("--out", required=True)
    ap.add_argument("--tokenizer-from", help="a folder holding the model's tokenizer (default: the bundled package)")
    a = ap.parse_args(argv)
    import torch
    torch.manual_seed(0)
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    smollm2(out, a.tokenizer_from) if a.like == "smollm2" else minilm(out, a.tokenizer_from)
    print(out)


if __name__ == "__main__": main()
