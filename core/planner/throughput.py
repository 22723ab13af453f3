"""Training FLOPs per token and the time of one step, from physics plus three calibrated constants.

FLOPs per token (N = matmul weights, the output head included and the embedding lookup not; A = causal
attention 2 x seq x q_dim x layers):
  full fine-tuning           6N + 6A   (forward 2N, backward to activations 2N and to weights 2N)
  + gradient checkpointing   8N + 8A   (one more forward)
  LoRA / QLoRA / DoRA        4N + 6A   (frozen weights get no weight gradient) + 6 x adapter params
  + gradient checkpointing   6N + 8A   + 8 x adapter params
  inference                  2N + 2A   (decoding: time = max(FLOPs / peak, (weights + KV cache) / bandwidth))
Adapting only the top k of L layers scales the backward part by k/L.

Step time = FLOPs / (utilisation x peak)                       matrix products
          + traffic factor x (saved activations + logits) / bandwidth   elementwise work (norms, casts, SiLU)
          + weight bytes read (and dequantized) per pass / bandwidth
          + seconds per layer pass x layers x passes            kernel launches and Python per layer
Utilisation, traffic factor and seconds per layer pass are fitted to measured runs (calibration.py).
Several devices: communication (ZeRO-3 weight gathers, gradient all-reduce) is assumed to overlap the step
and only counts where it is longer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.planner.memory import activation_bytes_per_token_layer, weight_bytes
from core.planner.request import PlanRequest

# Share of the peak memory bandwidth a decoding step reaches (stated, not fitted: vLLM / TensorRT-LLM batch-1
# decoding of 7-8B bf16 models reaches roughly 75-90% of the HBM bound on H100-class GPUs).
DECODE_BANDWIDTH_EFFICIENCY = 0.85


@dataclass(frozen=True)
class SpeedConstants:
    """The fitted constants of one framework profile (see calibration.py)."""

    matmul_utilisation: float
    traffic_factor: float
    layer_pass_s: float
    source: str = "prior"


@dataclass
class StepFeatures:
    """The physical quantities of one micro-batch step on one device; time = features . constants."""

    flops: float
    peak_flops: float
    traffic_bytes: float  # scaled by the traffic factor
    raw_bytes: float  # weight reads and dequantization, not scaled
    bandwidth: float
    layer_passes: float
    comm_bytes: float = 0.0
    comm_bandwidth: float = 0.0
    lines: list[str] = field(default_factory=list)
    overlapped: bool = False  # decoding: weight reads overlap the matrix products, the slower one sets the step

    def times(self, c: SpeedConstants) -> dict[str, float]:
        return {"matmul": self.flops / (c.matmul_utilisation * self.peak_flops),
                "elementwise": c.traffic_factor * self.traffic_bytes / self.bandwidth,
                "weights": self.raw_bytes / self.bandwidth,
                "per-layer overhead": c.layer_pass_s * self.layer_passes}

    def step_seconds(self, c: SpeedConstants) -> float:
        times = self.times(c)
        compute = max(times.values()) if self.overlapped else sum(times.values())
        return max(compute, self.comm_seconds)

    @property
    def comm_seconds(self) -> float:
        return self.comm_bytes / self.comm_bandwidth if self.comm_bandwidth > 0 else 0.0


def flops_per_token(req: PlanRequest) -> tuple[float, str]:
    """Training (or inference) FLOPs per token, and the formula with its numbers."""
    m = req.model
    n = float(m.matmul_params)
    attn = 2.0 * req.seq * m.q_dim * m.layers
    if req.method == "inference":
        return 2 * n + 2 * attn, f"2N + 2A = 2 x {n / 1e9:.2f}e9 + 2 x {attn / 1e9:.2f}e9"
    if req.trains_adapters:
        share = req.adapted_layers / m.layers
        adapters = m.lora_params(req.rank, req.targets) * share
        # Forward 2N (twice with checkpointing: the recomputation); backward to the activations 2N, only
        # through the adapted layers; attention has no weights, so its backward is twice its forward.
        fwd, extra = (4.0, 8.0) if req.grad_ckpt else (2.0, 6.0)
        n_mult = fwd + 2.0 * share
        a_mult = fwd + 4.0 * share
        total = n_mult * n + a_mult * attn + extra * adapters
        return total, (f"{n_mult:g}N + {a_mult:g}A + {extra:g}P_lora with N = {n / 1e9:.3f}e9 matmul weights, "
                       f"A = 2 x seq {req.seq} x {m.q_dim} x {m.layers} layers = {attn / 1e9:.3f}e9, "
                       f"P_lora = {adapters / 1e6:.1f}M{' (recomputed forward: checkpointing)' if req.grad_ckpt else ''}")
    mult = 8.0 if req.grad_ckpt else 6.0
    return mult * (n + attn), f"{mult:g}(N + A) with N = {n / 1e9:.3f}e9, A = {attn / 1e9:.3f}e9"


def step_features(req: PlanRequest, sharding: str = "none") -> StepFeatures:
    """What one micro-batch step costs one device, in FLOPs, bytes and layer passes."""
    m, dev, prof = req.model, req.device, req.profile
    tokens = req.seq * req.batch
    per_token, formula = flops_per_token(req)
    peak = dev.peak_flops(req.precision or "bf16")
    lines = [f"FLOPs per token: {formula} = {per_token / 1e9:,.1f} GFLOP",
             f"peak: {peak / 1e12:,.1f} TFLOP/s per device ({dev.name}, "
             f"{'fp32' if req.precision == 'fp32' else 'bf16'} dense)"]
    w_bytes, _ = weight_bytes(req)
    if req.method == "inference":
        # One decoding step makes `batch` new tokens: every weight is read once for all of them, and each
        # sequence reads its own KV cache (at the full context, an upper bound).  At small batch the bytes,
        # not the FLOPs, set the time, and reads overlap the matrix products: time = max(compute, reads).
        kv = 2.0 * m.layers * m.kv_dim * req.seq * 2.0 * req.batch
        bound = req.batch * dev.bandwidth_gbs * 1e9 / (w_bytes + kv)
        lines.append(f"decode: each step reads the weights ({w_bytes / 1e9:,.2f} GB) once and the KV cache of "
                     f"{req.batch} x {req.seq} tokens ({kv / 1e9:,.2f} GB): at most {bound:,.0f} tokens/s at "
                     f"{dev.bandwidth_gbs:,.0f} GB/s; expected at {DECODE_BANDWIDTH_EFFICIENCY:.0%} of that bandwidth")
        return StepFeatures(flops=per_token * req.batch, peak_flops=peak, traffic_bytes=0.0, raw_bytes=w_bytes + kv,
                            bandwidth=dev.bandwidth_gbs * 1e9 * DECODE_BANDWIDTH_EFFICIENCY, layer_passes=0.0,
                            lines=lines, overlapped=True)
    passes = 1.5 if req.grad_ckpt else 1.0  # forward + backward, plus a recomputed forward
    stored_layers = req.adapted_layers if req.trains_adapters else m.layers
    traffic = (activation_bytes_per_token_layer(req) * stored_layers * passes + prof.logit_bytes * m.vocab) * tokens
    weight_passes = 3 if req.grad_ckpt else 2
    raw = w_bytes * weight_passes
    if req.quantized and prof.dequantizes_weights:
        raw += m.block_linear_params * 2.0 * weight_passes  # a bf16 copy written per use
        lines.append("quantized base: each weight is dequantized to bf16 on every use (bitsandbytes), counted as "
                     "memory traffic")
    comm = 0.0
    n = req.gpus
    if n > 1:
        accum = max(1, req.gradient_accumulation)
        if sharding == "zero3":
            comm = weight_passes * w_bytes * (n - 1) / n
            what = f"ZeRO-3 gathers the weights {weight_passes}x per step"
        else:
            trainable = (m.lora_params(req.rank, req.targets) if req.trains_adapters else m.total_params)
            comm = 2 * trainable * (4.0 if req.trains_adapters else 2.0) * (n - 1) / n / accum
            what = "gradient all-reduce once per optimizer step"
        link = dev.interconnect_gbs
        lines.append(f"communication: {what} = {comm / 1e9:,.1f} GB per micro-batch over {link:g} GB/s links "
                     f"(overlapped with compute)")
    return StepFeatures(flops=per_token * tokens, peak_flops=peak, traffic_bytes=traffic, raw_bytes=raw,
                        bandwidth=dev.bandwidth_gbs * 1e9, layer_passes=m.layers * passes,
                        comm_bytes=comm, comm_bandwidth=dev.interconnect_gbs * 1e9, lines=lines)
