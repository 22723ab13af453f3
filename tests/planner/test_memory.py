"""Memory by component, fits/impossible marking, sharding, model folders."""

from __future__ import annotations

import json

import pytest

from core.planner import PlannerError, estimate_memory, make_plan, make_request, resolve_model
from core.planner.devices import GIB, this_cpu


def test_weights_by_precision():
    sizes = {}
    for precision in ("fp32", "bf16", "int8", "4bit"):
        req = make_request("llama-3.1-8b", "h200", method="inference", precision=precision)
        sizes[precision] = estimate_memory(req).components["weights"] / GIB
    assert sizes["fp32"] == pytest.approx(2 * sizes["bf16"], rel=0.001)
    assert sizes["bf16"] == pytest.approx(8.03e9 * 2 / GIB, rel=0.01)
    # 4-bit: 0.5 B + a 16-bit scale and bias per 64 weights on the block linears; 16-bit embeddings in torch.
    assert sizes["4bit"] == pytest.approx((6.98e9 * 0.5625 + 1.05e9 * 2) / GIB, rel=0.01)
    assert sizes["fp32"] > sizes["bf16"] > sizes["int8"] > sizes["4bit"]


def test_lora_full_and_checkpointing_order():
    base = dict(seq=2048, batch=4)
    lora = estimate_memory(make_request("llama-3.1-8b", "h200", method="lora", **base))
    ckpt = estimate_memory(make_request("llama-3.1-8b", "h200", method="lora", grad_ckpt=True, **base))
    qlora = estimate_memory(make_request("llama-3.1-8b", "h200", method="qlora", grad_ckpt=True, **base))
    full = estimate_memory(make_request("llama-3.1-8b", "h200", method="full", grad_ckpt=True, **base))
    assert ckpt.components["activations"] < lora.components["activations"] / 10
    assert qlora.peak_gib < ckpt.peak_gib < lora.peak_gib
    assert full.components["optimizer"] == pytest.approx(8.03e9 * 12, rel=0.01)  # 2 moments + fp32 master
    assert full.peak_gib > 100
    assert sum(full.components.values()) == pytest.approx(full.peak_bytes)


def test_fits_and_impossible_with_reasons():
    plan = make_plan(make_request("llama-3.1-70b", "h100", method="lora"))
    assert not plan.fits and not plan.feasible
    assert "GiB" in plan.reasons[0] and "QLoRA" in plan.reasons[0]
    ok = make_plan(make_request("llama-3.1-70b", "m3-ultra-512", method="lora", grad_ckpt=True))
    assert ok.fits and ok.feasible and not ok.reasons  # 70B on a 512 GB Mac Studio
    bad = make_plan(make_request("llama-3.1-8b", "h100", method="full", precision="4bit"))
    assert not bad.feasible and "Full fine-tuning" in bad.reasons[0]
    assert plan.explanation and all(isinstance(line, str) for line in plan.explanation)


def test_this_cpu_reads_the_machine():
    cpu = this_cpu()
    meminfo = open("/proc/meminfo").read().split("\n")[0].split()
    assert cpu.memory_gib == pytest.approx(int(meminfo[1]) / 2**20, rel=0.001)
    assert cpu.peak_fp32_flops > 1e9


def test_sharding_divides_state():
    one = estimate_memory(make_request("llama-3.1-70b", "h100", method="full", gpus=8, grad_ckpt=True), "none")
    z2 = estimate_memory(make_request("llama-3.1-70b", "h100", method="full", gpus=8, grad_ckpt=True), "zero2")
    z3 = estimate_memory(make_request("llama-3.1-70b", "h100", method="full", gpus=8, grad_ckpt=True), "zero3")
    assert z2.components["optimizer"] == pytest.approx(one.components["optimizer"] / 8)
    assert z2.components["weights"] == one.components["weights"]
    assert z3.components["weights"] < one.components["weights"] / 4
    assert z3.peak_gib < z2.peak_gib < one.peak_gib
    # Auto picks ZeRO-3 when ZeRO-2 does not fit; full 70B (16 B per parameter of state) needs 16 H100s, not 8.
    eight = make_plan(make_request("llama-3.1-70b", "h100", method="full", gpus=8, grad_ckpt=True))
    assert eight.memory.sharding == "zero3" and not eight.fits and "ZeRO-3" not in eight.reasons[0]
    sixteen = make_plan(make_request("llama-3.1-70b", "h100", method="full", gpus=16, grad_ckpt=True))
    assert sixteen.memory.sharding == "zero3" and sixteen.fits


def test_model_folder_config_with_mlx_quantization(tmp_path):
    folder = tmp_path / "Llama-3.2-1B-Instruct-4bit"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({
        "model_type": "llama", "hidden_size": 2048, "num_hidden_layers": 16, "num_attention_heads": 32,
        "num_key_value_heads": 8, "intermediate_size": 8192, "vocab_size": 128256, "tie_word_embeddings": True,
        "head_dim": 64, "quantization": {"group_size": 64, "bits": 4},
        "quantization_config": {"group_size": 64, "bits": 4}}))
    shape = resolve_model(str(folder))
    assert shape.quantization.bits == 4 and shape.quantization.group_size == 64
    assert shape.total_params == resolve_model("llama-3.2-1b").total_params
    req = make_request(shape, "m3-max", method="lora")
    assert req.precision == "4bit" and req.method == "qlora"  # LoRA over a quantized folder is QLoRA
    mem = estimate_memory(req)
    assert mem.components["weights"] / GIB == pytest.approx(shape.total_params * 0.5625 / GIB, rel=0.02)


def test_bitsandbytes_and_bad_configs(tmp_path):
    folder = tmp_path / "bnb"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({
        "hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32, "intermediate_size": 14336,
        "vocab_size": 32768, "quantization_config": {"quant_method": "bitsandbytes", "load_in_4bit": True}}))
    shape = resolve_model(str(folder))
    assert shape.kv_heads == 32 and shape.quantization.bits == 4
    (folder / "config.json").write_text("{not json")
    with pytest.raises(PlannerError, match="cannot be read as JSON"):
        resolve_model(str(folder))
    (folder / "config.json").write_text(json.dumps({"hidden_size": 8}))
    with pytest.raises(PlannerError, match="lacks"):
        resolve_model(str(folder))
    with pytest.raises(PlannerError, match="Unknown model"):
        resolve_model("gpt-17")
    with pytest.raises(PlannerError, match="QLoRA"):
        make_request("llama-3.1-8b", "h100", method="qlora", precision="bf16")
