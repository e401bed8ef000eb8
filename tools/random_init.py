"""A randomly initialised copy of a bundled model's architecture (for speed benchmarks where the weights cannot travel).

    python tools/random_init.py --like smollm2 --out DIR     # SmolLM2-135M-Instruct shape, its tokenizer
    python tools/random_init.py --like minilm --out DIR      # all-MiniLM-L6-v2 shape (BERT), its tokenizer and config
    python tools/random_init.py --like smollm2 --out DIR --tokenizer-from TOKDIR   # on a machine without the bundled packages
    python tools/random_init.py --like qwen2.5-1.5b --out DIR   # a larger generator's shape (qwen2.5-0.5b, qwen2.5-1.5b), SmolLM2's tokenizer

The Qwen2.5 shapes keep their 151,936-row vocabulary (so the LM head costs what it costs there) but take SmolLM2's tokenizer,
whose ids are a subset: for speed and memory at 0.5B-1.5B scale, not for anything a Qwen tokenizer would change.

The folder holds safetensors weights and a tokenizer, so every loader of girl_nb takes it like the real model. The weights
are random: use it for timings only, never for quality figures.
"""
import argparse, shutil, sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# SmolLM2-135M-Instruct's architecture (its config.json), so no weights or hub access are needed
SMOLLM2 = dict(architectures=["LlamaForCausalLM"], model_type="llama", hidden_size=576, intermediate_size=1536, num_hidden_layers=30,
               num_attention_heads=9, num_key_value_heads=3, max_position_embeddings=8192, rms_norm_eps=1e-5, rope_theta=100000.0,
               tie_word_embeddings=True, vocab_size=49152, bos_token_id=1, eos_token_id=2, pad_token_id=0, hidden_act="silu")
# Qwen2.5-0.5B and -1.5B's architectures (their config.json); token ids come from SmolLM2's tokenizer
QWEN25 = {"qwen2.5-0.5b": dict(hidden_size=896, intermediate_size=4864, num_hidden_layers=24, num_attention_heads=14, num_key_value_heads=2),
          "qwen2.5-1.5b": dict(hidden_size=1536, intermediate_size=8960, num_hidden_layers=28, num_attention_heads=12, num_key_value_heads=2)}
QWEN25_COMMON = dict(vocab_size=151936, max_position_embeddings=32768, rms_norm_eps=1e-6, rope_theta=1000000.0, tie_word_embeddings=True,
                     hidden_act="silu", bos_token_id=1, eos_token_id=2, pad_token_id=0)
# all-MiniLM-L6-v2's architecture (BERT, 6 layers x 384)
MINILM = dict(hidden_size=384, intermediate_size=1536, num_hidden_layers=6, num_attention_heads=12, max_position_embeddings=512,
              vocab_size=30522, type_vocab_size=2, hidden_act="gelu", layer_norm_eps=1e-12, pad_token_id=0)
MINILM_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json")


def _smollm2_tokenizer(out:Path, src:Path|None):
    "SmolLM2's tokenizer into `out`: from `src` (a folder holding it), else the bundled package's"
    from girl_nb.models import load_tokenizer
    load_tokenizer("tiny" if src is None else src).save_pretrained(out)  # the tiny generator shares SmolLM2's tokenizer


def smollm2(out:Path, src:Path|None=None):
    "LLaMA of SmolLM2-135M's shape; tokenizer from `src` (a folder holding it) or the bundled package"
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM
    model = LlamaForCausalLM(LlamaConfig(**{k: v for k, v in SMOLLM2.items() if k not in ("architectures", "model_type")})).to(torch.bfloat16)
    model.save_pretrained(out, safe_serialization=True)
    _smollm2_tokenizer(out, src)


def qwen25(like:str, out:Path, src:Path|None=None):
    "Qwen2 of Qwen2.5-0.5B's or -1.5B's shape (`like`); SmolLM2's tokenizer from `src` or the bundled package"
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM
    model = Qwen2ForCausalLM(Qwen2Config(**QWEN25[like], **QWEN25_COMMON)).to(torch.bfloat16)
    model.save_pretrained(out, safe_serialization=True)
    _smollm2_tokenizer(out, src)


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
    ap.add_argument("--like", default="smollm2", choices=["smollm2", "minilm", *QWEN25]); ap.add_argument("--out", required=True)
    ap.add_argument("--tokenizer-from", help="a folder holding the model's tokenizer (default: the bundled package)")
    a = ap.parse_args(argv)
    import torch
    torch.manual_seed(0)
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    if a.like in QWEN25: qwen25(a.like, out, a.tokenizer_from)
    else: smollm2(out, a.tokenizer_from) if a.like == "smollm2" else minilm(out, a.tokenizer_from)
    print(out)


if __name__ == "__main__": main()
