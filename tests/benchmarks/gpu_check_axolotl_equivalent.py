"""GPU check of the planner: the exported axolotl settings, trained with torch + transformers + peft (no axolotl).

Run on a CUDA machine from the repository root:  python -m tests.benchmarks.gpu_check_axolotl_equivalent
A 1B-Llama-shaped model with random bf16 weights (speed and memory do not depend on the values), LoRA rank 16
(alpha 32) on all seven projections, gradient checkpointing, SDPA, AdamW, seq 2048, micro-batch 4: the values
`interiority scale-out --target axolotl` writes for a 1B model. Prints one JSON line: measured tokens/s and
peak GiB, the planner's prediction for the same settings, the ratios, and a `calibration` object in the shipped
calibration format (append it to core/planner/calibration_points.jsonl to calibrate on it).
Not collected by pytest (tests/benchmarks is excluded and the name does not start with test_).
"""

from __future__ import annotations

import json
import sys
import time

SEQ, BATCH, RANK, WARM, STEPS = 2048, 4, 16, 3, 10
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def main() -> int:
    try:
        import torch
        from peft import LoraConfig, get_peft_model
        from transformers import LlamaConfig, LlamaForCausalLM
    except ImportError as exc:
        print(json.dumps({"error": f"{exc}: this check needs torch, transformers and peft on a CUDA machine"}))
        return 1

    from core.planner import make_plan, make_request, resolve_model
    from core.planner.devices import device_for_measured_name

    if not torch.cuda.is_available():
        print(json.dumps({"error": "no CUDA device: run this on a GPU machine"}))
        return 1
    shape = resolve_model("llama-3.2-1b")
    cfg = LlamaConfig(vocab_size=shape.vocab, hidden_size=shape.hidden, num_hidden_layers=shape.layers,
                      num_attention_heads=shape.heads, num_key_value_heads=shape.kv_heads,
                      intermediate_size=shape.intermediate, max_position_embeddings=8192,
                      tie_word_embeddings=shape.tied_embeddings, attn_implementation="sdpa")
    torch.set_default_dtype(torch.bfloat16)
    with torch.device("cuda"):
        model = LlamaForCausalLM(cfg)
    torch.set_default_dtype(torch.float32)
    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    model.enable_input_require_grads()
    model = get_peft_model(model, LoraConfig(r=RANK, lora_alpha=2 * RANK, lora_dropout=0.0, target_modules=TARGETS))
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    x = torch.randint(0, cfg.vocab_size, (BATCH, SEQ), device="cuda")
    torch.cuda.reset_peak_memory_stats()
    model.train()
    for step in range(WARM + STEPS):
        if step == WARM:
            torch.cuda.synchronize()
            started = time.perf_counter()
        out = model(input_ids=x, labels=x)
        out.loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
    torch.cuda.synchronize()
    seconds = time.perf_counter() - started
    measured_tps = STEPS * BATCH * SEQ / seconds
    measured_gib = torch.cuda.max_memory_allocated() / 2**30
    name = torch.cuda.get_device_name()
    device = device_for_measured_name(name)
    result = {"device": name, "seq": SEQ, "batch": BATCH, "rank": RANK, "grad_ckpt": True,
              "measured_tokens_per_s": round(measured_tps), "measured_peak_gib": round(measured_gib, 2)}
    if device is not None:
        plan = make_plan(make_request(shape, device, method="lora", seq=SEQ, batch=BATCH, rank=RANK, grad_ckpt=True))
        result.update({"planner_device": device.key, "predicted_tokens_per_s": round(plan.tokens_per_s),
                       "predicted_peak_gib": round(plan.peak_memory_gib, 2),
                       "tokens_per_s_ratio": round(plan.tokens_per_s / measured_tps, 3),
                       "peak_gib_ratio": round(plan.peak_memory_gib / measured_gib, 3),
                       "targets": {"tokens_per_s_within": 0.30, "peak_gib_within": 0.20}})
    result["calibration"] = {"model": "llama-1b", "params_b": round(sum(p.numel() for p in model.parameters()) / 1e9, 3),
                             "trainable_m": round(sum(p.numel() for p in model.parameters() if p.requires_grad) / 1e6, 2),
                             "seq": SEQ, "batch": BATCH, "grad_ckpt": True, "lora_rank": RANK,
                             "tokens_per_s": round(measured_tps), "peak_gib": round(measured_gib, 2), "device": name}
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
