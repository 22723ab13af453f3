"""`interiority plan | devices | models | scale-out`: the planner on the command line."""

from __future__ import annotations

import argparse
from typing import Optional

from core.cli import CommandContext, add_command
from core.planner import (BUILTIN_SHAPES, METHODS, TARGETS, BuildTokens, all_devices, check_claim, export_scale_out,
                          load_calibration, make_plan, make_request, progressive_plan, tokens_from_build)
from core.planner.headline import headline
from core.planner.shapes import PlannerError


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = add_command(sub, "plan", help="Estimate memory, speed, time and cost of a fine-tune, with the formulas.")
    p.add_argument("--model", help="built-in model (see `interiority models`) or a model folder with config.json")
    p.add_argument("--method", default="lora", choices=METHODS)
    p.add_argument("--precision", choices=("fp32", "bf16", "fp16", "int8", "4bit"),
                   help="weight precision (default: the model's quantization, 4bit for qlora, else bf16)")
    p.add_argument("--device", help="device key (see `interiority devices`), e.g. h100, m3-ultra-512, this-cpu")
    p.add_argument("--gpus", type=int, default=1, help="devices (GPUs, or Macs for mlx) working together")
    p.add_argument("--sharding", default="auto", choices=("auto", "none", "zero2", "zero3", "fsdp"))
    p.add_argument("--framework", choices=("torch", "mlx"), help="software stack (default: the device's usual)")
    p.add_argument("--seq", type=int, default=2048, help="sequence length in tokens")
    p.add_argument("--batch", type=int, default=1, help="micro-batch per device")
    p.add_argument("--grad-accum", type=int, default=1, help="gradient accumulation steps")
    p.add_argument("--rank", type=int, default=16, help="LoRA rank")
    p.add_argument("--lora-layers", type=int, help="adapt only the top N layers (mlx-lm --num-layers)")
    p.add_argument("--grad-ckpt", action="store_true", help="gradient checkpointing")
    p.add_argument("--tokens", type=int, help="dataset tokens per epoch")
    p.add_argument("--build", metavar="NAME[/stage-N]",
                   help="take the token count from this dataset build's card: its train split (the largest stage "
                        "unless /stage-N is given)")
    p.add_argument("--epochs", type=float, default=1.0)
    p.add_argument("--price-per-hour", type=float, help="USD per device-hour (default: a typical on-demand price)")
    p.add_argument("--claim", type=float, metavar="TOKENS_PER_S", help="check a quoted speed against the peak")
    p.add_argument("--progressive", action="store_true",
                   help="the staged path 8B -> 70B -> 405B for the dataset (--tokens or --build)")
    p.add_argument("--home", default="this-cpu", help="home device for --progressive (e.g. m3-ultra-512)")
    p.set_defaults(handler=plan_command)

    d = add_command(sub, "devices", help="List the devices the planner knows, with peaks, memory and prices.")
    d.set_defaults(handler=devices_command)
    m = add_command(sub, "models", help="List the built-in model shapes.")
    m.set_defaults(handler=models_command)

    s = add_command(sub, "scale-out", help="Write an axolotl, mlx.launch or managed-service export of a build.")
    s.add_argument("build", help="dataset build name under exports/")
    s.add_argument("--target", required=True, choices=TARGETS)
    s.add_argument("--model", default="llama-3.1-8b")
    s.add_argument("--gpus", type=int, default=8)
    s.add_argument("--method", default="qlora", choices=("lora", "qlora"))
    s.add_argument("--device", help="h100 (axolotl) or m3-ultra-512 (mlx-distributed) by default")
    s.add_argument("--seq", type=int, default=2048)
    s.add_argument("--epochs", type=float, default=3.0)
    s.set_defaults(handler=scale_out_command)


def _tokens(args: argparse.Namespace, ctx: CommandContext) -> tuple[Optional[int], str, Optional[BuildTokens]]:
    """(tokens per epoch, the sentence saying where they came from, the build's figure when read from one)."""
    if args.build:
        if args.tokens is not None:
            raise PlannerError("Give either --tokens or --build, not both: --build reads the count from the card.")
        found = tokens_from_build(ctx.project, args.build)
        return found.tokens, found.note, found
    if args.tokens is None:
        return None, "no dataset size (pass --build NAME or --tokens N)", None
    return args.tokens, f"{args.tokens:,} tokens (given with --tokens)", None


def plan_command(args: argparse.Namespace, ctx: CommandContext) -> int:
    cal = load_calibration(ctx.project.runs)
    tokens, how, found = _tokens(args, ctx)
    if args.progressive:
        if not tokens:
            raise PlannerError("--progressive needs the dataset size: pass --tokens N or --build NAME.")
        steps = progressive_plan(tokens, epochs=args.epochs if args.epochs != 1.0 else 3.0, home_device=args.home,
                                 seq=args.seq, calibration=cal)
        if ctx.json:
            ctx.print_json({"tokens": tokens, "tokens_counted": how, "dataset": found.to_dict() if found else None,
                            "steps": [s.to_dict() for s in steps]})
            return 0
        ctx.print(f"Dataset: {how}")
        for s in steps:
            d = s.to_dict()
            hours = "-" if d["hours"] is None else f"{d['hours']:,.1f} h"
            cost = "-" if d["cost_usd"] is None else f"${d['cost_usd']:,.0f}"
            ctx.print(f"{s.stage:9} {s.model:15} {d['gpus']} x {d['device']:13} {d['peak_memory_gib']:7,.1f} GiB "
                      f"{d['tokens_per_s']:9,.0f} tok/s {hours:>9} {cost:>8}  {'ok' if s.plan.feasible else 'impossible'}")
            ctx.print(f"          {s.why}")
            for reason in s.plan.reasons:
                ctx.print(f"          ! {reason}")
        return 0
    if not args.model or not args.device:
        raise PlannerError("`interiority plan` needs --model and --device (or --progressive with --tokens).")
    req = make_request(args.model, args.device, method=args.method, precision=args.precision, gpus=args.gpus,
                       seq=args.seq, batch=args.batch, rank=args.rank, grad_ckpt=args.grad_ckpt,
                       sharding=args.sharding, framework=args.framework, tokens=tokens, epochs=args.epochs,
                       price_per_hour=args.price_per_hour, gradient_accumulation=args.grad_accum,
                       lora_layers=args.lora_layers)
    plan = make_plan(req, cal)
    out = plan.to_dict()
    out["tokens_counted"] = how
    out["dataset"] = found.to_dict() if found else None
    verdict = None
    if args.claim is not None:
        verdict = check_claim(req.model, req.method, req.device, req.gpus, args.claim, grad_ckpt=req.grad_ckpt,
                              seq=req.seq, precision=req.precision, calibration=cal)
        out["claim"] = verdict.to_dict()
    if ctx.json:
        ctx.print_json(out)
        return 0
    for line in headline(out):
        ctx.print(line)
    ctx.print(f"  dataset: {how}" + (f" x {args.epochs:g} epochs" if tokens else ""))
    for reason in plan.reasons:
        ctx.print(f"  ! {reason}")
    if verdict is not None:
        ctx.print("claim:")
        for line in verdict.lines:
            ctx.print(f"  {line}")
    ctx.print("how:")
    for line in plan.explanation:
        ctx.print(f"  {line}")
    return 0


def devices_command(args: argparse.Namespace, ctx: CommandContext) -> int:
    rows = [d.to_dict() for d in all_devices()]
    if ctx.json:
        ctx.print_json(rows)
        return 0
    for r in rows:
        ctx.print(f"{r['key']:14} {r['name']:34} {r['peak_bf16_tflops']:8,.1f} TFLOP/s {r['memory_gib']:7,.1f} GiB "
                  f"{r['bandwidth_gbs']:6,.0f} GB/s  ${r['price_per_hour']:.2f}/h")
    return 0


def models_command(args: argparse.Namespace, ctx: CommandContext) -> int:
    rows = [{"name": s.name, "params_b": round(s.total_params / 1e9, 3), "layers": s.layers, "hidden": s.hidden,
             "intermediate": s.intermediate, "heads": s.heads, "kv_heads": s.kv_heads, "vocab": s.vocab,
             "tied_embeddings": s.tied_embeddings, "aliases": list(s.aliases)} for s in BUILTIN_SHAPES.values()]
    if ctx.json:
        ctx.print_json(rows)
        return 0
    for r in rows:
        ctx.print(f"{r['name']:16} {r['params_b']:8.2f}B  {r['layers']:3} layers  hidden {r['hidden']:5}  "
                  f"vocab {r['vocab']}")
    return 0


def scale_out_command(args: argparse.Namespace, ctx: CommandContext) -> int:
    result = export_scale_out(ctx.project.exports, args.build, args.target, model=args.model, gpus=args.gpus,
                              method=args.method, seq=args.seq, epochs=args.epochs, device=args.device,
                              calibration=load_calibration(ctx.project.runs))
    if ctx.json:
        ctx.print_json(result.to_dict())
        return 0
    ctx.print(f"Wrote {len(result.files)} files to {result.folder}")
    ctx.print(f"Run: {result.command}")
    for note in result.notes:
        ctx.print(f"  {note}")
    return 0
