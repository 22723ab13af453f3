"""Framework profiles: what a software stack keeps in memory per token, and how fast it turns FLOPs into steps.

Why a profile: the same 8B LoRA step keeps different tensors alive in torch + peft (fp32 adapters, so every
adapted projection casts its input to fp32 and saves that copy) than in mlx-lm (bf16 inputs shared). The
coefficients below are bytes per token per transformer layer, as multiples of the hidden size h, the key/value
width kv and the MLP width i, counted from what autograd saves with SDPA/flash attention (no s^2 score matrix,
which is the a*s term of Korthikanti et al. 2022 that flash attention removes).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ActivationCoefficients:
    """Bytes saved per token per layer = h_coef*h + kv_coef*kv + i_coef*i (bf16 compute)."""

    h_coef: float
    kv_coef: float
    i_coef: float

    def bytes_per_token(self, hidden: int, kv_dim: int, intermediate: int) -> float:
        return self.h_coef * hidden + self.kv_coef * kv_dim + self.i_coef * intermediate

    def formula(self) -> str:
        return f"{self.h_coef:g}h + {self.kv_coef:g}kv + {self.i_coef:g}i"


@dataclass(frozen=True)
class FrameworkProfile:
    """One software stack's memory habits and its prior (uncalibrated) speed constants."""

    key: str
    name: str
    # Activations saved per layer when adapters are trained over frozen weights, and for full fine-tuning.
    lora_activations: ActivationCoefficients
    full_activations: ActivationCoefficients
    # Extra saved per token per layer by a 4-bit/8-bit base (bitsandbytes saves each matmul's bf16 input).
    quantized_extra: ActivationCoefficients
    logit_bytes: float  # bytes per token per vocabulary entry at the loss's peak
    held_logit_bytes: float  # bytes per token per vocabulary entry still alive while the layers backpropagate
    adapter_bytes: int  # bytes per adapter parameter (peft and mlx-lm keep adapters in fp32)
    quantizes_embeddings: bool  # MLX quantized checkpoints quantize the embedding and head too
    dequantizes_weights: bool  # bitsandbytes writes a bf16 copy of each quantized weight on every use
    overhead_fixed_gib: float
    overhead_fraction: float
    # Speed priors, used only when no measured point of this profile exists (see calibration.py).
    prior_matmul_utilisation: float
    prior_traffic_factor: float
    prior_layer_pass_s: float
    calibrated_by: str = ""

    def describe_activations(self) -> str:
        return (f"LoRA over frozen weights: ({self.lora_activations.formula()}) bytes/token/layer; full fine-tuning: "
                f"({self.full_activations.formula()}); logits peak {self.logit_bytes:g} B per token per vocab entry")


# torch + transformers + peft, SDPA attention, bf16 weights with fp32 LoRA adapters (peft's default autocast).
# Per layer and token, LoRA: two RMSNorm fp32 inputs (8h); fp32 input copies cast for each adapter
# (q, k, v: 12h; o: 4h; gate, up: 8h; down: 4i); SDPA q, k, v, out (4h + 4kv); SiLU input, SiLU output and
# up output (6i): 36h + 4kv + 10i.  Full fine-tuning saves each linear's bf16 input once instead of fp32
# adapter copies: 8h + (6h + 2i) + (4h + 4kv) + 6i = 18h + 4kv + 8i.  Logits: bf16 output kept by the model
# output (2) + fp32 log-softmax saved (4) + its gradient (4) + the gradient of the fp32 upcast (4) = 14 bytes.
# The fixed overhead is the CUDA context and workspaces that `torch.cuda.max_memory_allocated` (which the
# calibration points measure) does not count; the fraction is allocator fragmentation.
TORCH_PEFT = FrameworkProfile(
    key="torch", name="torch + transformers + peft (SDPA, bf16, fp32 adapters)",
    lora_activations=ActivationCoefficients(36, 4, 10), full_activations=ActivationCoefficients(18, 4, 8),
    quantized_extra=ActivationCoefficients(6, 0, 2), logit_bytes=14, held_logit_bytes=2, adapter_bytes=4,
    quantizes_embeddings=False, dequantizes_weights=True, overhead_fixed_gib=0.5, overhead_fraction=0.02,
    prior_matmul_utilisation=0.50, prior_traffic_factor=12.5, prior_layer_pass_s=2.4e-3,
    calibrated_by="lora_h200_torch_peft.jsonl (8 points)")

# mlx-lm: fused RMSNorm saves its bf16 input (2 x 2h), linear inputs saved once in bf16 (6h + 2i), fast SDPA
# q, k, v, out (4h + 4kv), SiLU/gate/up (6i); the loss keeps bf16 logits, an fp32 log-sum-exp working copy
# and their gradients (~12 bytes).  Priors for speed are the torch fit's; the project's own runs correct them.
MLX_LM = FrameworkProfile(
    key="mlx", name="mlx-lm (bf16, fp32 adapters, fused kernels)",
    lora_activations=ActivationCoefficients(14, 4, 8), full_activations=ActivationCoefficients(14, 4, 8),
    quantized_extra=ActivationCoefficients(0, 0, 0), logit_bytes=12, held_logit_bytes=0, adapter_bytes=4,
    quantizes_embeddings=True, dequantizes_weights=False, overhead_fixed_gib=0.3, overhead_fraction=0.05,
    prior_matmul_utilisation=0.50, prior_traffic_factor=6.0, prior_layer_pass_s=0.5e-3,
    calibrated_by="")

PROFILES: dict[str, FrameworkProfile] = {p.key: p for p in (TORCH_PEFT, MLX_LM)}
