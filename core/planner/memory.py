"""Peak memory per device of a fine-tune or of inference, by component, with the formula behind each number.

The peak is the larger of two moments of a training step:
  A. the loss: weights + trainable state + every saved activation + the logits' working set;
  B. (with gradient checkpointing) backpropagating one layer: weights + trainable state + the checkpointed
     layer inputs + logits still held + one layer's activations recomputed and their gradients.
Checked against torch's `max_memory_allocated` on the shipped H200 points (tests/planner/test_calibration.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.planner.devices import GIB
from core.planner.request import PlanRequest, weight_bytes_per_param

COMPONENTS = ("weights", "adapters", "gradients", "optimizer", "activations", "logits", "kv_cache", "overhead")


@dataclass
class MemoryEstimate:
    """Bytes per device by component (they add up to `peak_bytes`) and how each was computed."""

    components: dict[str, float]
    explanation: list[str] = field(default_factory=list)
    sharding: str = "none"

    @property
    def peak_bytes(self) -> float:
        return sum(self.components.values())

    @property
    def peak_gib(self) -> float:
        return self.peak_bytes / GIB

    def components_gib(self) -> dict[str, float]:
        return {k: round(v / GIB, 3) for k, v in self.components.items()}


def _gib(value: float) -> str:
    return f"{value / GIB:,.2f} GiB"


def weight_bytes(req: PlanRequest) -> tuple[float, str]:
    """All weights at their storage precision (a quantized base keeps 16-bit embeddings in torch)."""
    m, p = req.model, req.precision or "bf16"
    linear = weight_bytes_per_param(p, req.group_size)
    dense = 4.0 if p == "fp32" else 2.0
    embed_head = m.embedding_params + m.head_params
    embed_bytes = linear if (req.quantized and req.profile.quantizes_embeddings) else dense
    total = m.block_linear_params * linear + embed_head * embed_bytes + m.norm_params * dense
    text = (f"weights: {m.block_linear_params / 1e9:.3f}B block linears x {linear:g} B ({p}"
            f"{f', group {req.group_size}' if req.quantized else ''}) + {embed_head / 1e9:.3f}B embedding/head x "
            f"{embed_bytes:g} B + norms = {_gib(total)}")
    return total, text


def trainable_state(req: PlanRequest) -> tuple[dict[str, float], list[str]]:
    """Adapters (or full weights') gradients and AdamW states."""
    m = req.model
    if req.method == "inference":
        return {"adapters": 0.0, "gradients": 0.0, "optimizer": 0.0}, []
    if req.trains_adapters:
        layers_share = req.adapted_layers / m.layers
        params = m.lora_params(req.rank, req.targets) * layers_share
        if req.method == "dora":
            params += m.lora_out_features(req.targets) * req.adapted_layers  # magnitude vectors
        b = req.profile.adapter_bytes
        state = {"adapters": params * b, "gradients": params * 4.0, "optimizer": params * 8.0}
        lines = [f"adapters: rank {req.rank} x (in + out) over {len(req.targets)} projections x "
                 f"{req.adapted_layers} layers = {params / 1e6:.2f}M params x {b} B (fp32) = {_gib(state['adapters'])}"
                 f"; gradients x 4 B = {_gib(state['gradients'])}; AdamW 2 moments x 4 B = {_gib(state['optimizer'])}"]
        return state, lines
    params = m.total_params
    grad_b = 4.0 if req.precision == "fp32" else 2.0
    master = 0.0 if req.precision == "fp32" else 4.0
    state = {"adapters": 0.0, "gradients": params * grad_b, "optimizer": params * (8.0 + master)}
    lines = [f"full fine-tuning: gradients {params / 1e9:.2f}B x {grad_b:g} B = {_gib(state['gradients'])}; AdamW "
             f"2 fp32 moments (8 B){' + fp32 master weights (4 B)' if master else ''} = {_gib(state['optimizer'])}"]
    return state, lines


def activation_bytes_per_token_layer(req: PlanRequest) -> float:
    """Saved activations per token per layer for this method, framework and precision."""
    m, prof = req.model, req.profile
    coef = prof.lora_activations if req.trains_adapters else prof.full_activations
    per = coef.bytes_per_token(m.hidden, m.kv_dim, m.intermediate)
    if req.quantized:
        per += prof.quantized_extra.bytes_per_token(m.hidden, m.kv_dim, m.intermediate)
    if req.method == "dora":
        per += 2 * m.lora_out_features(req.targets)  # each adapted projection's bf16 output, for the norm scaling
    if req.precision == "fp32":
        per *= 2  # fp32 compute doubles the 16-bit tensors (an upper bound: some are fp32 already)
    return per


def activations_and_logits(req: PlanRequest) -> tuple[float, float, list[str]]:
    """(activations at the peak, logits at the peak, explanation) per device."""
    m, prof = req.model, req.profile
    tokens = req.seq * req.batch
    if req.method == "inference":
        kv = 2 * m.layers * m.kv_dim * tokens * 2.0
        working = tokens * (4 * m.hidden + 2 * m.intermediate) * 2.0
        logits = req.batch * m.vocab * 4.0
        return working + kv, logits, [
            f"KV cache: 2 x {m.layers} layers x kv {m.kv_dim} x {tokens} tokens x 2 B = {_gib(kv)}; "
            f"prefill working set (4h + 2i) x 2 B per token = {_gib(working)}; last-token logits fp32 = {_gib(logits)}"]
    per_layer = activation_bytes_per_token_layer(req)
    # Only layers from the lowest adapted one upward need saved activations (frozen layers below get no grads).
    stored_layers = m.layers if not req.trains_adapters else req.adapted_layers
    logits_peak = tokens * m.vocab * prof.logit_bytes
    act_formula = (prof.lora_activations if req.trains_adapters else prof.full_activations).formula()
    lines = [f"activations per token per layer ({prof.key}): {act_formula}"
             f"{' + quantized-base inputs' if req.quantized and prof.quantized_extra.h_coef else ''}"
             f" = {per_layer:,.0f} B (h={m.hidden}, kv={m.kv_dim}, i={m.intermediate}); "
             f"{tokens} tokens per micro-batch (seq {req.seq} x batch {req.batch})"]
    lines.append(f"logits: {tokens} tokens x vocab {m.vocab} x {prof.logit_bytes:g} B = {_gib(logits_peak)}")
    if not req.grad_ckpt:
        stored = per_layer * tokens * stored_layers
        lines.append(f"no gradient checkpointing: all {stored_layers} layers saved = {_gib(stored)}")
        return stored, logits_peak, lines
    inputs = 2.0 * m.hidden * tokens * stored_layers
    one_layer = per_layer * tokens
    at_loss = inputs + logits_peak
    at_layer = inputs + tokens * m.vocab * prof.held_logit_bytes + 2 * one_layer
    lines.append(f"gradient checkpointing: layer inputs 2h B x {tokens} tokens x {stored_layers} layers = "
                 f"{_gib(inputs)}; one layer recomputed + its gradients = {_gib(2 * one_layer)}; "
                 f"peak at the {'loss' if at_loss >= at_layer else 'layer backward'}")
    if at_loss >= at_layer:
        return inputs, logits_peak, lines
    return inputs + 2 * one_layer, tokens * m.vocab * prof.held_logit_bytes, lines


def estimate_memory(req: PlanRequest, sharding: str = "none") -> MemoryEstimate:
    """Peak memory per device; `sharding` is "none" (each device holds everything), "zero2" or "zero3"."""
    n = req.gpus if sharding in ("zero2", "zero3") else 1
    weights, weights_line = weight_bytes(req)
    state, state_lines = trainable_state(req)
    acts, logits, act_lines = activations_and_logits(req)
    lines = [weights_line, *state_lines, *act_lines]
    comps = {"weights": weights, **state, "activations": acts, "logits": logits, "kv_cache": 0.0}
    if req.method == "inference":
        m = req.model
        comps["kv_cache"] = 2 * m.layers * m.kv_dim * req.seq * req.batch * 2.0
        comps["activations"] = acts - comps["kv_cache"]
    if req.method == "dora":
        biggest = max(a * b for a, b in req.model.projection_dims().values())
        comps["activations"] += biggest * 4.0
        lines.append(f"DoRA: the merged weight of the largest projection in fp32 for its column norm = {_gib(biggest * 4.0)}")
    if n > 1:
        comps["gradients"] /= n
        comps["optimizer"] /= n
        shared = "gradients and optimizer states"
        if sharding == "zero3":
            layer_w = req.model.layer_linear_params * weight_bytes_per_param(req.precision or "bf16", req.group_size)
            comps["weights"] = comps["weights"] / n + 2 * layer_w  # own shard + two gathered layers (prefetch)
            comps["adapters"] /= n
            shared = "weights, adapters, gradients and optimizer states (+2 gathered layers in flight)"
        lines.append(f"sharded over {n} devices ({sharding.upper()}): {shared} divided by {n}")
    prof = req.profile
    subtotal = sum(comps.values())
    comps["overhead"] = prof.overhead_fixed_gib * GIB + prof.overhead_fraction * subtotal
    lines.append(f"framework overhead ({prof.key}): {prof.overhead_fixed_gib:g} GiB fixed + "
                 f"{prof.overhead_fraction:.0%} of the rest = {_gib(comps['overhead'])}")
    return MemoryEstimate(components=comps, explanation=lines, sharding=sharding if n > 1 else "none")
