"Fast tests of the SFT stage (girl_nb.sft, nbs/02_sft.ipynb) and of generation (girl_nb.generate, nbs/02a_generate.ipynb) on the tiny generator."
import dataclasses, copy, io, json, os, signal, subprocess, sys, textwrap, time
from pathlib import Path

import pytest, torch

from girl_nb.core import ConfigError, from_dict
from girl_nb.generate import GenConfig
from girl_nb.pipeline import RunConfig, load_config
from girl_nb.models import load_generator, load_tokenizer, resolve_model
from girl_nb import generate, sft
from girl_nb.generate import build_prompt, generate_jds
from girl_nb.judge import jd_format_ok
from girl_nb.sft import SFTConfig, run_sft, sft_rows, toy_sft_rows
from girl_nb.cli import add_sft_cli

ROOT = Path(__file__).resolve().parents[1]
FAST = dict(lr=1e-2, lr_scheduler="constant", batch_size=2, logging_steps=1, eval_share=0.1, max_cv_tokens=64, max_length=256)


@pytest.fixture(scope="module")
def tok(): return load_tokenizer("tiny")

@pytest.fixture(scope="module")
def tiny_cfg(): return load_config(ROOT/"configs"/"tiny.yaml")


def test_prompt_plain_and_chat(tok):
    plain = copy.deepcopy(tok); plain.chat_template = None
    assert build_prompt("Nurse, 3 years", plain) == f"Human: {generate.INSTRUCTIONS['en']}\n\nNurse, 3 years\n\nAssistant: "
    chat = build_prompt("Nurse, 3 years", tok)
    assert chat.endswith("<|im_start|>assistant\n") and "Nurse, 3 years" in chat
    assert generate.INSTRUCTIONS["zh"] in build_prompt("护士，三年", tok, language="zh")


def test_masking_prompt_ignored_eos_learned(tok, tmp_path):
    rows, _ = sft_rows(toy_sft_rows(3), tok)
    tr = sft.make_trainer(load_generator("tiny"), tok, rows, [], SFTConfig(), tmp_path)
    batch = tr.data_collator([tr.train_dataset[i] for i in range(3)])
    for b, r in enumerate(rows):
        n_prompt, n = len(tok(r["prompt"], add_special_tokens=False)["input_ids"]), int(batch["attention_mask"][b].sum())
        lab, ids = batch["labels"][b], batch["input_ids"][b]
        assert (lab[:n_prompt] == -100).all()
        assert torch.equal(lab[n_prompt:n], ids[n_prompt:n])
        assert ids[n-1].item() == lab[n-1].item() == tok.convert_tokens_to_ids("<|im_end|>")
        assert (lab[n:] == -100).all()


def test_generate_greedy_matches_hf_and_seeded_sampling(tok):
    model = load_generator("tiny")
    cvs = ["Java developer, Spring Boot, 5 years.", "Nurse.", "Accountant with tax filing and bookkeeping experience, 10 years."]
    texts, enc, comp = generate_jds(model, tok, cvs, max_new_tokens=10, batch_size=2, return_ids=True)
    assert len(texts) == len(enc) == len(comp) == 3
    for e, c in zip(enc, comp):
        ref = model.generate(torch.tensor([e]), attention_mask=torch.ones(1, len(e), dtype=torch.long), max_new_tokens=10, do_sample=False)
        assert c == generate.until_eos(ref[0, len(e):].tolist(), tok.eos_token_id, tok.pad_token_id)
    kw = dict(n=2, temperature=1.0, top_p=0.95, max_new_tokens=8)
    torch.manual_seed(123); before = torch.rand(1)
    a = generate_jds(model, tok, cvs, seed=1, **kw)
    torch.manual_seed(123); torch.rand(1); b = generate_jds(model, tok, cvs, seed=1, **kw)
    assert a == b and len(a) == 6 and a != generate_jds(model, tok, cvs, seed=2, **kw)


def test_bad_inputs(tok, tiny_cfg, tmp_path):
    nopad = copy.deepcopy(tok); nopad.pad_token = None
    with pytest.raises(ValueError, match="no pad token"): generate_jds(load_generator("tiny"), nopad, ["x"])
    with pytest.raises(ValueError, match="empty or only whitespace"): build_prompt("  \n", tok)
    with pytest.raises(ValueError, match="the split is empty"): run_sft(dataclasses.replace(tiny_cfg, sft=SFTConfig(**FAST)), tmp_path, splits=dict(sft=[]))
    with pytest.raises(ValueError, match=r"row 1 \(seeker_id 's1'\): cv"):
        run_sft(dataclasses.replace(tiny_cfg, sft=SFTConfig(**FAST)), tmp_path, splits=dict(sft=[toy_sft_rows(1)[0], dict(seeker_id="s1", cv="\t", jd="Job title: x", label=1)]))
    with pytest.raises(ConfigError, match="unknown key 'lr_rate'"): from_dict(SFTConfig, dict(lr_rate=1.0))
    cfg = copy.deepcopy(tiny_cfg); cfg.models.generator = str(tmp_path/"no_such_model")
    with pytest.raises(FileNotFoundError, match="no such folder"): run_sft(dataclasses.replace(cfg, sft=SFTConfig(**FAST)), tmp_path, splits=dict(sft=toy_sft_rows(4)))
    with pytest.raises(FileNotFoundError, match="no data splits"): run_sft(dataclasses.replace(tiny_cfg, sft=SFTConfig(**FAST)), tmp_path/"empty_run")


def test_jd_format_ok():
    "Every JD the simulator writes (all its English and Chinese phrasings) is well formed"
    from girl_nb.simulator import simulate
    for lang in ["en", "zh"]:
        jobs = simulate(20, 5, 5, 20, 60, language=lang, seed=1).jobs
        assert [j["jd"] for j in jobs if not jd_format_ok(j["jd"])] == [], lang
    assert all(jd_format_ok(r["jd"]) for r in toy_sft_rows(10))
    assert not jd_format_ok("We are hiring! Great team, competitive pay.")


def test_stage_lora_from_splits_folder(tiny_cfg, tmp_path):
    "The stage reads OUT/data/splits, trains LoRA, saves a folder load_generator reads, and the loss falls"
    from datasets import Dataset, DatasetDict
    rows = toy_sft_rows(40) + [dict(seeker_id="x", job_id="j", cv="Nurse", jd="Job title: Nurse", label=0, timestamp="2023-04-03")]
    DatasetDict(sft=Dataset.from_list(rows)).save_to_disk(str(tmp_path/"data"/"splits"))
    t0 = time.time()
    m = run_sft(dataclasses.replace(tiny_cfg, sft=SFTConfig(**(FAST | dict(lr=5e-2, max_steps=20, n_eval_cvs=2, gen=GenConfig(max_new_tokens=16, batch_size=16))))), tmp_path)
    assert time.time() - t0 < 120
    # LoRA moves the random tiny model slowly (its tied 49k embedding is frozen); full fine-tuning is tested in the notebook
    assert m["train_loss_last"] < m["train_loss_first"] - 0.1 and m["n_unmatched"] == 1 and m["n_train_pairs"] == 36
    d = tmp_path/"sft"
    for f in ["adapter_config.json", "adapter_model.safetensors", "tokenizer.json", "README.md", "metrics.json", "loss.png", "samples.jsonl"]:
        assert (d/f).is_file(), f
    assert json.loads((d/"metrics.json").read_text())["metrics"]["format_rate_base"] == m["format_rate_base"]
    from safetensors.torch import load_file
    w = load_file(d/"adapter_model.safetensors")
    assert any("lora_B" in k for k in w) and all(w[k].abs().sum() > 0 for k in w if "lora_B" in k)  # B starts at zero
    model = load_generator(d)
    assert hasattr(model, "peft_config") and "library_name: peft" in (d/"README.md").read_text()
    s = json.loads((d/"samples.jsonl").read_text().splitlines()[0])
    assert generate_jds(model.merge_and_unload(), load_tokenizer(d), [s["cv"]], max_new_tokens=16) == [s["jd_sft"]]


_KILLED_RUN = """
import dataclasses, sys, time
from pathlib import Path
from transformers import TrainerCallback
from girl_nb.pipeline import load_config
from girl_nb.sft import SFTConfig, run_sft, toy_sft_rows
class Hang(TrainerCallback):
    def on_step_end(self, args, state, control, **kw):
        if state.global_step == 3: Path(sys.argv[2]).touch(); time.sleep(600)
run_sft(dataclasses.replace(load_config(sys.argv[3]), sft=SFTConfig(**eval(sys.argv[4]))), sys.argv[1], splits=dict(sft=toy_sft_rows(40)), callbacks=[Hang()])
"""

def test_killed_process_resumes(tiny_cfg, tmp_path):
    "A run SIGKILLed after its step-2 checkpoint resumes from it and ends at the same final step"
    kw = FAST | dict(max_steps=6, save_steps=2, n_eval_cvs=0)
    flag = tmp_path/"at_step_3"
    p = subprocess.Popen([sys.executable, "-c", _KILLED_RUN, str(tmp_path/"run"), str(flag), str(ROOT/"configs"/"tiny.yaml"), repr(kw)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.time()
    while not flag.exists():
        assert p.poll() is None and time.time() - t0 < 120, "the run ended before step 3"
        time.sleep(0.2)
    p.send_signal(signal.SIGKILL); p.wait()
    ck = tmp_path/"run"/"sft"/"checkpoints"
    assert sorted(c.name for c in ck.glob("checkpoint-*")) == ["checkpoint-2"]
    with pytest.raises(FileExistsError, match="resume=True"): run_sft(dataclasses.replace(tiny_cfg, sft=SFTConfig(**kw)), tmp_path/"run", splits=dict(sft=toy_sft_rows(40)))
    m = run_sft(dataclasses.replace(tiny_cfg, sft=SFTConfig(**kw)), tmp_path/"run", splits=dict(sft=toy_sft_rows(40)), resume=True)
    assert m["train_steps"] == 6
    state = json.loads((ck/"checkpoint-6"/"trainer_state.json").read_text())
    assert [e["step"] for e in state["log_history"] if "loss" in e] == [1, 2, 3, 4, 5, 6]


def test_cli_parsers_and_generate_stdin(tmp_path, monkeypatch, capsys):
    import argparse
    ap = argparse.ArgumentParser(prog="girl"); add_sft_cli(ap.add_subparsers(dest="cmd"))
    for cmd in ["sft", "generate"]:
        with pytest.raises(SystemExit) as e: ap.parse_args([cmd, "--help"])
        assert e.value.code == 0
    helps = capsys.readouterr().out
    assert "--resume" in helps and "--cv" in helps and "--temperature" in helps
    a = ap.parse_args(["generate", "--model", "tiny", "--cv", "-", "-n", "3", "--max-new-tokens", "6", "--dtype", "fp32", "--device", "cpu"])
    monkeypatch.setattr(sys, "stdin", io.StringIO("Java developer, 5 years of Spring Boot."))
    assert a.func(a) == 0
    assert capsys.readouterr().out.count("=== JD") == 3
    monkeypatch.setattr(sys, "stdin", io.StringIO("   \n"))
    with pytest.raises(ValueError, match="--cv -: empty or only whitespace"): a.func(a)
    b = ap.parse_args(["sft", "--config", str(ROOT/"configs"/"tiny.yaml"), "--out", str(tmp_path)])
    with pytest.raises(FileNotFoundError, match="girl data generate"): b.func(b)


def test_stage_with_simulator_gold(tiny_cfg, tmp_path):
    "gold_base/gold_sft are the simulator's gold scores of the JDs the stage generated for the held-out CVs"
    from girl_nb.simulator import simulate
    sd = simulate(30, 5, 5, 20, 40, seed=2)
    cv, jd = {s["seeker_id"]: s["cv"] for s in sd.seekers}, {j["job_id"]: j["jd"] for j in sd.jobs}
    rows = [dict(seeker_id=i["seeker_id"], job_id=i["job_id"], cv=cv[i["seeker_id"]], jd=jd[i["job_id"]], label=i["label"], timestamp=i["timestamp"])
            for i in sd.interactions if i["timestamp"] <= "2023-04-30"]
    c = SFTConfig(**(FAST | dict(full_finetune=True, max_steps=4, eval_share=0.2, n_eval_cvs=3, gen=GenConfig(max_new_tokens=24, batch_size=16),
                                 max_cv_tokens=128, max_length=512)))
    m = run_sft(dataclasses.replace(tiny_cfg, sft=c), tmp_path, splits=dict(sft=rows), gold=sd.gold)
    samples = [json.loads(l) for l in (tmp_path/"sft"/"samples.jsonl").read_text().splitlines()]
    assert len(samples) == m["n_eval_cvs"] == 3
    assert m["gold_base"] == pytest.approx(sum(sd.gold.score(s["seeker_id"], s["jd_base"]) for s in samples) / 3, abs=1e-6)
    assert m["gold_sft"] == pytest.approx(sum(sd.gold.score(s["seeker_id"], s["jd_sft"]) for s in samples) / 3, abs=1e-6)


# Generation backends (nbs/02a_generate, "Generation backends")

CVS = ["Java developer, Spring Boot, 5 years.", "Nurse.", "Accountant with tax filing and bookkeeping experience, 10 years.",
       "Data analyst: SQL, Python, Tableau."]


@pytest.fixture
def vllm_stub(monkeypatch, tok):
    "A stand-in `vllm` in sys.modules; returns the record of its calls. Each completion: 4 tokens of the prompt, 400+k, EOS"
    rec = dict(llm=[], generate=[])
    class Completion:
        def __init__(self, ids): self.token_ids, self.text = tuple(ids), "<vLLM's detokenized text>"
    class RequestOutput:
        def __init__(self, prompt, n): self.prompt_token_ids, self.outputs = prompt["prompt_token_ids"], [Completion(prompt["prompt_token_ids"][-8:-4] + [400 + k, tok.eos_token_id]) for k in range(n)]
    class LLM:
        def __init__(self, **kw): rec["llm"].append(kw)
        def generate(self, prompts, sampling_params, *, lora_request=None, use_tqdm=True):
            rec["generate"].append(dict(prompts=prompts, params=sampling_params.__dict__, lora=lora_request))
            return [RequestOutput(p, sampling_params.n) for p in prompts]
    class SamplingParams:
        def __init__(self, **kw): self.__dict__.update(kw)
    class LoRARequest:
        def __init__(self, lora_name, lora_int_id, lora_path): self.lora_name, self.lora_int_id, self.lora_path = lora_name, lora_int_id, lora_path
    mods = {m: __import__("types").ModuleType(m) for m in ("vllm", "vllm.lora", "vllm.lora.request")}
    mods["vllm"].LLM, mods["vllm"].SamplingParams, mods["vllm.lora.request"].LoRARequest = LLM, SamplingParams, LoRARequest
    for m, mod in mods.items(): monkeypatch.setitem(sys.modules, m, mod)
    return rec

def _stub_jds(tok, prompt_ids:list[int], n:int) -> list[str]:
    "What `VLLMBackend` should make of the stub's completions of one prompt"
    return [tok.decode(prompt_ids[-8:-4] + [400 + k], skip_special_tokens=True).strip() for k in range(n)]


def test_hf_backend_is_generate_jds(tok):
    model = load_generator("tiny")
    hf = generate.load_backend("hf", model, tok)
    assert isinstance(hf, generate.HFBackend) and hf.name == "hf"
    assert hf.generate(CVS, max_new_tokens=10, batch_size=3) == [[t] for t in generate_jds(model, tok, CVS, max_new_tokens=10, batch_size=3)]
    g = GenConfig(temperature=0.8, top_p=0.95, max_new_tokens=6, batch_size=3)
    flat = generate_jds(model, tok, CVS, g, n=3, seed=7)
    got = hf.generate(CVS, g, n=3, seed=7)
    assert got == [flat[3*i:3*i+3] for i in range(len(CVS))] and got == hf.generate(CVS, g, n=3, seed=7)
    assert generate.load_backend("hf", "tiny").generate(CVS[1], max_new_tokens=10) == [generate_jds(model, tok, CVS[1:2], max_new_tokens=10)]


def test_vllm_backend_plain_model(tok, vllm_stub):
    vb = generate.load_backend("vllm", "tiny", dtype=torch.float16, seed=3, max_model_len=1024)
    assert isinstance(vb, generate.VLLMBackend) and vb.lora is None
    assert vllm_stub["llm"] == [dict(model=str(resolve_model("tiny")), tokenizer=str(resolve_model("tiny")), dtype="float16", seed=3,
                                     trust_remote_code=False, gpu_memory_utilization=0.9, max_model_len=1024)]
    got = vb.generate(CVS, GenConfig(top_p=0.5, max_new_tokens=9, repetition_penalty=1.15), seed=4, language="zh")  # greedy: top_p is 1
    call = vllm_stub["generate"][0]
    enc = [tok(build_prompt(cv, tok, "zh"), add_special_tokens=False)["input_ids"] for cv in CVS]
    assert call["prompts"] == [dict(prompt_token_ids=e) for e in enc] and call["lora"] is None
    assert call["params"] == dict(n=1, temperature=0.0, top_p=1.0, max_tokens=9, seed=4, stop_token_ids=[tok.eos_token_id], repetition_penalty=1.15)
    assert got == [_stub_jds(tok, e, 1) for e in enc]


def test_vllm_backend_lora_adapter_and_config(tok, vllm_stub, tmp_path):
    from peft import LoraConfig, get_peft_model
    peft_model = get_peft_model(load_generator("tiny"), LoraConfig(r=12, lora_alpha=12, target_modules=["q_proj", "v_proj"]))
    ad = sft.save_generator(peft_model, tok, tmp_path/"sft", base="tiny")
    gen = from_dict(RunConfig, dict(rec=dict(gen=dict(backend="vllm", vllm_gpu_memory_utilization=0.4)))).rec.gen
    vb = generate.load_backend(gen, str(ad), dtype="bf16", seed=1)
    llm = vllm_stub["llm"][0]
    assert (llm["model"], llm["tokenizer"], llm["dtype"]) == (str(resolve_model("tiny")), str(ad), "bfloat16")
    assert (llm["enable_lora"], llm["max_lora_rank"], llm["gpu_memory_utilization"]) == (True, 16, 0.4)  # r=12 rounds up to vLLM's 16
    got = vb.generate(CVS[:3], n=2, temperature=0.9, top_p=0.8, max_new_tokens=5, seed=2)  # GenConfig fields by keyword
    call = vllm_stub["generate"][0]
    assert (call["lora"].lora_name, call["lora"].lora_int_id, call["lora"].lora_path) == ("girl_nb", 1, str(ad))
    assert call["params"] == dict(n=2, temperature=0.9, top_p=0.8, max_tokens=5, seed=2, stop_token_ids=[tok.eos_token_id], repetition_penalty=1.0)
    assert got == [_stub_jds(tok, p["prompt_token_ids"], 2) for p in call["prompts"]] and len(got) == 3
    assert [tok.decode(p["prompt_token_ids"]) for p in call["prompts"]] == [build_prompt(cv, tok) for cv in CVS[:3]]
    with pytest.raises(TypeError, match="loads its own weights"): generate.load_backend(gen, peft_model)


def test_vllm_missing_is_one_clear_line(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "vllm", None)  # as if not installed
    gen = from_dict(RunConfig, dict(eval=dict(gen=dict(backend="vllm")))).eval.gen
    with pytest.raises(ImportError, match=r"pip install girl_nb\[vllm\]") as e: generate.load_backend(gen, "tiny")
    assert "\n" not in str(e.value) and e.value.__cause__ is None
    with pytest.raises(ImportError, match=r"pip install girl_nb\[vllm\]"):
        generate.cached_generate("tiny", ["s0"], CVS[:1], tmp_path, gen, max_new_tokens=4, progress=False)
    with pytest.raises(ConfigError, match="gen.backend: must be one of"): generate.cached_generate("tiny", ["s0"], CVS[:1], tmp_path, backend="tgi")
    with pytest.raises(ValueError, match="gen.backend: 'tgi' is not one of"): generate.load_backend("tgi", "tiny")


def test_cached_generate_backends(tok, vllm_stub, tmp_path, monkeypatch):
    "`hf` keeps the pre-backend fingerprint (old caches are hit) and the same JDs; `vllm` gets a folder of its own"
    ids = [f"s{i}" for i in range(len(CVS))]
    old = generate.fingerprint("tiny", dict(n=1, temperature=0.0, top_p=1.0, max_new_tokens=6, language="en", seed=0, dtype="float32"))
    g = generate.cached_generate("tiny", ids, CVS, tmp_path, GenConfig(max_new_tokens=6), progress=False, chunk=3)
    assert [p.name for p in tmp_path.iterdir()] == [old]
    assert json.loads((tmp_path/old/"girl_generations.json").read_text())["backend"] == "hf"
    assert g == {s: [t] for s, t in zip(ids, generate_jds(load_generator("tiny"), tok, CVS[:3], max_new_tokens=6) +
                                        generate_jds(load_generator("tiny"), tok, CVS[3:], max_new_tokens=6, seed=3))}
    monkeypatch.setattr(generate, "load_generator", lambda *a, **k: pytest.fail("the cache was missed"))
    assert generate.cached_generate("tiny", ids, CVS, tmp_path, RunConfig().sft.gen, max_new_tokens=6, progress=False) == g
    gv_cfg = GenConfig(temperature=0.7, top_p=0.9, max_new_tokens=6, backend="vllm")
    kw = dict(n=2, seed=5, progress=False)
    gv = generate.cached_generate("tiny", ids, CVS, tmp_path, gv_cfg, chunk=3, **kw)
    assert len(list(tmp_path.iterdir())) == 2 and vllm_stub["llm"][0]["seed"] == 5
    assert [c["params"]["seed"] for c in vllm_stub["generate"]] == [5, 8]  # seed + first index of each chunk, as with hf
    enc = [p["prompt_token_ids"] for c in vllm_stub["generate"] for p in c["prompts"]]
    assert gv == {s: _stub_jds(tok, e, 2) for s, e in zip(ids, enc)}
    assert generate.cached_generate("tiny", ids, CVS, tmp_path, gv_cfg, **kw) == gv and len(vllm_stub["llm"]) == 1  # cached


def test_generate_cli_backend(vllm_stub, tmp_path, capsys):
    import argparse
    ap = argparse.ArgumentParser(prog="girl"); add_sft_cli(ap.add_subparsers(dest="cmd"))
    (tmp_path/"cv.txt").write_text(CVS[0])
    a = ap.parse_args(["generate", "--model", "tiny", "--cv", str(tmp_path/"cv.txt"), "-n", "2", "--backend", "vllm", "--device", "cpu", "--dtype", "fp32"])
    assert a.func(a) == 0 and capsys.readouterr().out.count("=== JD") == 2
    assert vllm_stub["generate"][0]["params"]["n"] == 2 and vllm_stub["llm"][0]["dtype"] == "float32"
    with pytest.raises(SystemExit): ap.parse_args(["generate", "--model", "tiny", "--cv", "-", "--backend", "tgi"])


def test_cached_generate_repetition_penalty(tok, tmp_path):
    "θ != 1 gets a cache folder of its own and the JDs of `generate_jds` with the same θ; θ = 1 keeps the old fingerprint"
    ids = [f"s{i}" for i in range(len(CVS))]
    g1 = generate.cached_generate("tiny", ids, CVS, tmp_path, max_new_tokens=6, progress=False, repetition_penalty=1.0)
    g5 = generate.cached_generate("tiny", ids, CVS, tmp_path, max_new_tokens=6, progress=False, repetition_penalty=5.0)
    assert len(list(tmp_path.iterdir())) == 2 and g1 != g5
    want = generate_jds(load_generator("tiny"), tok, CVS, max_new_tokens=6, repetition_penalty=5.0)
    assert g5 == {s: [t] for s, t in zip(ids, want)}
    with pytest.raises(ConfigError, match="sft.gen.repetition_penalty: must be > 0"):
        from_dict(RunConfig, dict(sft=dict(gen=dict(repetition_penalty=0))))
    with pytest.raises(ConfigError, match="'models.gen_repetition_penalty' is now each stage's own"):
        load_config(None, ["models.gen_repetition_penalty=1.05"])
