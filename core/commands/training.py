"""`interiority train | runs | stop | resume | eval | checklist | fuse`: fine-tuning without the studio."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Iterator, Optional

from core.cli import CommandContext, add_command
from core.training.config import (CHECKLIST_ITEMS, DEFAULT_ITERATIONS, METHOD_DEFAULTS, METHODS, SCHEDULES,
                                  TrainingConfig, config_for_method)
from store.records import Run

if TYPE_CHECKING:
    from core.training.runner import TrainingRunner

BAR_WIDTH = 30


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = add_command(sub, "train", help="fine-tune a local MLX model on a dataset build (LoRA, DoRA or full)")
    p.add_argument("data", metavar="DATA", help="a build under exports/ (NAME, or NAME/stage-N of a staged build; "
                   "NAME alone is its largest stage) or a folder with train/valid.jsonl")
    p.add_argument("--model", required=False, metavar="PATH",
                   help="local MLX model folder (default: [training] local_model in interiority.toml)")
    p.add_argument("--name", help="run name, a plain folder name under runs/ (default: time stamp and build name)")
    p.add_argument("--method", choices=METHODS, default="lora")
    # Every default is None here: the values come from core.training.config (METHOD_DEFAULTS and the
    # TrainingConfig fields), the same place the Train screen reads them.
    p.add_argument("--rank", type=int, help=f"LoRA rank (default {TrainingConfig.rank})")
    p.add_argument("--scale", type=float, help=f"LoRA scale, alpha/rank elsewhere (default {TrainingConfig.scale})")
    p.add_argument("--dropout", type=float)
    p.add_argument("--layers", type=int, help="train the last N blocks, -1 for all (default: "
                   + ", ".join(f"{m} {d['num_layers']}" for m, d in METHOD_DEFAULTS.items()) + ")")
    p.add_argument("--lr", type=float, help="learning rate (default: "
                   + ", ".join(f"{m} {d['learning_rate']:g}" for m, d in METHOD_DEFAULTS.items()) + ")")
    p.add_argument("--schedule", choices=SCHEDULES)
    p.add_argument("--warmup", type=int, help="warm-up iterations")
    length = p.add_mutually_exclusive_group()
    length.add_argument("--iters", type=int, help=f"iterations (default {DEFAULT_ITERATIONS})")
    length.add_argument("--epochs", type=float, help="epochs (iterations = ceil(epochs x train / batch))")
    p.add_argument("--batch", type=int, help=f"batch size (default {TrainingConfig.batch_size})")
    p.add_argument("--grad-accum", type=int, help="gradient accumulation steps")
    p.add_argument("--max-seq", type=int, help=f"maximum sequence length (default {TrainingConfig.max_seq_length})")
    p.add_argument("--grad-ckpt", action="store_true", default=None, help="gradient checkpointing")
    # Every loss is on answer tokens now (core.training.datasets.load_split); the flag stays accepted, hidden,
    # so that scripts written for the old switch keep running and mean what they meant.
    p.add_argument("--mask-prompt", action="store_true", default=None, help=argparse.SUPPRESS)
    p.add_argument("--report-every", type=int)
    p.add_argument("--val-every", type=int)
    p.add_argument("--val-batches", type=int)
    p.add_argument("--save-every", type=int)
    p.add_argument("--seed", type=int)
    p.add_argument("--detach", action="store_true", help="start the run and return; follow it in the studio")
    p.set_defaults(handler=cmd_train)

    p = add_command(sub, "runs", help="list training runs")
    p.set_defaults(handler=cmd_runs)

    p = add_command(sub, "stop", help="stop a running training run (it saves a checkpoint first)")
    p.add_argument("run", metavar="RUN", help="run name, id, or 'latest'")
    p.add_argument("--grace", type=float, default=30.0, help="seconds before SIGKILL")
    p.set_defaults(handler=cmd_stop)

    p = add_command(sub, "resume", help="continue a stopped or failed run from its last checkpoint")
    p.add_argument("run", metavar="RUN")
    p.add_argument("--detach", action="store_true")
    p.set_defaults(handler=cmd_resume)

    p = add_command(sub, "eval", help="test loss, base vs tuned samples, and warning signs of a run")
    p.add_argument("run", metavar="RUN")
    p.add_argument("--prompts", type=int, default=4)
    p.add_argument("--max-tokens", type=int, default=64)
    p.set_defaults(handler=cmd_eval)

    p = add_command(sub, "checklist", help="show or fill in a run's qualitative checklist")
    p.add_argument("run", metavar="RUN")
    p.add_argument("--set", action="append", default=[], metavar="ITEM=yes|no|unsure",
                   help=f"items: {', '.join(CHECKLIST_ITEMS)}")
    p.set_defaults(handler=cmd_checklist)

    p = add_command(sub, "fuse", help="fuse a run's adapters into a standalone MLX model folder")
    p.add_argument("run", metavar="RUN")
    p.add_argument("--output", metavar="PATH", help="default: runs/<name>/fused")
    p.add_argument("--dequantize", action="store_true")
    p.set_defaults(handler=cmd_fuse)


def config_from_args(args: argparse.Namespace) -> TrainingConfig:
    """The options given, over the method's defaults (`config_for_method`: the Train screen's too)."""
    return config_for_method(
        args.method, rank=args.rank, scale=args.scale, dropout=args.dropout, num_layers=args.layers,
        learning_rate=args.lr, lr_schedule=args.schedule, warmup=args.warmup, iters=args.iters,
        epochs=args.epochs, batch_size=args.batch, grad_accumulation_steps=args.grad_accum,
        max_seq_length=args.max_seq, grad_checkpoint=args.grad_ckpt,
        steps_per_report=args.report_every, steps_per_eval=args.val_every, val_batches=args.val_batches,
        save_every=args.save_every, seed=args.seed)


class ProgressBar:
    """One updating line on stderr: iteration, loss, tokens/s, ETA."""

    def __init__(self, stream: Any = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.last_line = ""

    def __call__(self, update: Any) -> None:
        event = update.event
        if event.event in ("loading", "stopping"):
            message = event.data.get("message") or "stopping: finishing the step in flight and saving a checkpoint"
            self._line(f"{message} ...", final=not self.tty)
        elif event.event in ("train", "config", "checkpoint", "val", "step"):
            total = max(1, update.total_iterations)
            # The event's own iteration: a validation at 9 came after 9 steps, though the last report was at 5.
            done = min(int(event.data.get("iteration") or update.iteration), total)
            filled = int(BAR_WIDTH * done / total)
            eta = f"{update.eta_s:.0f}s" if update.eta_s is not None else "?"
            loss = event.data.get("loss")
            tokens = event.data.get("tokens_per_s")
            extra = f" loss {loss:.3f} {tokens:.0f} tok/s" if loss is not None else ""
            if event.event == "val":
                extra = f" val {event.data['val_loss']:.3f}"
            if event.event == "config":
                extra = (f" (loss on {event.data.get('loss_on', 'answer tokens')}"
                         + (f"; {event.data['no_validation']}" if event.data.get("no_validation") else "") + ")")
            line = f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{total}{extra} ETA {eta}"
            if self.tty:
                self.stream.write("\r" + line.ljust(len(self.last_line)))
            elif event.event not in ("checkpoint", "step"):
                self.stream.write(line + "\n")
            self.last_line = line
            self.stream.flush()
        elif event.terminal:
            if self.tty:
                self.stream.write("\n")
            message = event.data.get("message", "")
            suggestion = event.data.get("suggestion", "")
            self.stream.write(f"{event.event}: iteration {update.iteration}/{update.total_iterations} {message}"
                              + (f" {suggestion}" if suggestion else "") + "\n")
            if event.data.get("log_tail"):
                self.stream.write(event.data["log_tail"] + "\n")
            self.stream.flush()


    def _line(self, text: str, final: bool) -> None:
        if self.tty:
            self.stream.write("\r" + text.ljust(len(self.last_line)))
            self.last_line = text
        if final:
            self.stream.write(text + "\n")
        self.stream.flush()


def _run_summary(run: Any, eta: Optional[float] = None) -> dict[str, Any]:
    return {"name": run.name, "id": run.id, "status": run.status, "build": run.build, "base_model": run.base_model,
            "iteration": run.iteration, "total_iterations": run.total_iterations,
            "last_train_loss": run.last_train_loss, "last_val_loss": run.last_val_loss,
            "tokens_per_s": round(run.tokens_per_s, 1), "peak_memory_gb": round(run.peak_memory_gb, 3),
            "error": run.error, "run_dir": run.run_dir, "adapter_path": f"{run.run_dir}/adapters",
            "eta_s": eta}


Starter = Callable[["TrainingRunner"], Awaitable[Run]]


async def _drive(ctx: CommandContext, starter: Starter, detach: bool, started: list[Run]) -> Run:
    from core.training.runner import TrainingRunner

    runner = TrainingRunner(ctx.project, ctx.db)
    if not ctx.json:
        runner.add_listener(ProgressBar(ctx.err))
    run = await starter(runner)
    started.append(run)
    if not ctx.json:
        ctx.warn(f"run {run.name}: {run.total_iterations} iterations, logs in {run.run_dir}")
    if detach:
        await runner.close()
        return run
    try:
        return await runner.wait(run.name)
    except (KeyboardInterrupt, asyncio.CancelledError):
        ctx.warn("stopping: the worker saves a checkpoint first ...")
        return await runner.stop(run.name)


def _follow(ctx: CommandContext, starter: Starter, detach: bool) -> int:
    started: list[Run] = []
    loop = asyncio.new_event_loop()
    task = loop.create_task(_drive(ctx, starter, detach, started))
    try:
        run = loop.run_until_complete(task)
    except KeyboardInterrupt:
        from core.training.runner import stop_worker_sync

        if not started:
            raise
        ctx.warn("stopping: the worker saves a checkpoint first ...")
        stop_worker_sync(started[0].run_dir)
        task.cancel()
        try:
            loop.run_until_complete(task)
        except (asyncio.CancelledError, KeyboardInterrupt):
            pass
        run = ctx.db.runs.get(started[0].id)
    finally:
        loop.close()
    if ctx.json:
        ctx.print_json(_run_summary(run))
    else:
        ctx.print(f"run {run.name}: {run.status} at iteration {run.iteration}/{run.total_iterations}"
                  + (f"; {run.error}" if run.error else "")
                  + (f"\nresume with: interiority resume {run.name}" if resumable(run) else ""))
    if detach:
        return 0
    return 0 if run.status in ("done", "stopped") else 1


def resumable(run: Run) -> bool:
    """Whether `resume` can help: a stopped run, or a worker that died (killed, out of memory) without a report.

    WHY not every failed run: a refusal or an error the worker reported (answers cut away, a bad row, too many
    layers, a NaN loss) comes back on resume, which keeps the run's settings and data; its own sentence says
    what to change instead.
    """
    if run.status == "stopped":
        return True
    last = next((e.get("event") for e in reversed(run.events) if e.get("event") in ("error", "failed")), None)
    return run.status == "failed" and last == "failed"


def cmd_train(args: argparse.Namespace, ctx: CommandContext) -> int:
    """Create and start a run with `TrainingRunner.begin`, the same call as the Train screen's Start."""
    config = config_from_args(args)
    return _follow(ctx, lambda runner: runner.begin(args.data, args.model, config, name=args.name), args.detach)


def cmd_resume(args: argparse.Namespace, ctx: CommandContext) -> int:
    from core.training.runner import find_run

    run = find_run(ctx.db, args.run)
    return _follow(ctx, lambda runner: runner.resume(run.name), args.detach)


def cmd_runs(args: argparse.Namespace, ctx: CommandContext) -> int:
    from core.training.runner import refresh_run, worker_alive, read_pid

    runs = []
    for run in ctx.db.runs.all():
        run = refresh_run(ctx.db, run)
        if run.status in ("running", "stopping") and not worker_alive(read_pid(run.run_dir), run.run_dir):
            run.status = "failed"
            run.error = run.error or "The worker is gone without a final report; resume continues from the last checkpoint."
            ctx.db.runs.save(run)
        runs.append(run)
    if ctx.json:
        ctx.print_json([_run_summary(r) for r in runs])
        return 0
    if not runs:
        ctx.print("No runs yet: `interiority train BUILD --model PATH` starts one.")
        return 0
    for run in runs:
        loss = f"{run.last_train_loss:.3f}" if run.last_train_loss is not None else "-"
        val = f"{run.last_val_loss:.3f}" if run.last_val_loss is not None else "-"
        ctx.print(f"{run.name:40} {run.status:9} {run.iteration:>6}/{run.total_iterations:<6} loss {loss:>7} "
                  f"val {val:>7} {run.tokens_per_s:8.0f} tok/s")
    return 0


def cmd_stop(args: argparse.Namespace, ctx: CommandContext) -> int:
    from core.training.runner import find_run, stop_worker_sync

    run = find_run(ctx.db, args.run)
    outcome = stop_worker_sync(run.run_dir, grace_s=args.grace)
    message = _stop_message(run.run_dir) if outcome == "stopped" else ""
    if ctx.json:
        ctx.print_json({"name": run.name, "outcome": outcome, "message": message})
    else:
        ctx.print(f"run {run.name}: {outcome}" + (f"; {message}" if message else ""))
    return 0


def _stop_message(run_dir: str) -> str:
    """What the worker said when it stopped (whether a checkpoint is kept), from its progress file."""
    from pathlib import Path

    from core.training.progress import read_all

    events = [e for e in read_all(Path(run_dir) / "progress.jsonl") if e.event == "stopped"]
    return str(events[-1].data.get("message") or "") if events else ""


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Send everything written to stdout (Python's and file descriptor 1's) to stderr for the duration.

    WHY: mlx-lm and transformers print warnings with `print` (and native code writes to fd 1) while loading a
    model; `eval --json` promises JSON alone on stdout, so the evaluation runs with stdout pointing at stderr.
    """
    sys.stdout.flush()
    saved: Optional[int] = None
    try:
        saved = os.dup(1)
        os.dup2(2, 1)
    except OSError:  # no real descriptors (an embedded interpreter): Python-level redirection still applies
        saved = None
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        sys.stdout.flush()
        if saved is not None:
            os.dup2(saved, 1)
            os.close(saved)


def cmd_eval(args: argparse.Namespace, ctx: CommandContext) -> int:
    from core.training.evaluate import evaluate_run, format_report
    from core.training.runner import find_run

    run = find_run(ctx.db, args.run)
    with stdout_to_stderr():
        report = evaluate_run(ctx.project, ctx.db, run, prompts=args.prompts, max_tokens=args.max_tokens)
    if ctx.json:
        ctx.print_json(report)
    else:
        ctx.print(format_report(report))
    return 0


def cmd_checklist(args: argparse.Namespace, ctx: CommandContext) -> int:
    from core.training.evaluate import checklist_rows, set_checklist
    from core.training.runner import find_run

    run = find_run(ctx.db, args.run)
    for assignment in args.set:
        item, _, value = assignment.partition("=")
        run = set_checklist(ctx.db, run, item.strip(), value.strip().lower())
    rows = checklist_rows(run)
    if ctx.json:
        ctx.print_json({item: answer or None for item, _label, answer in rows})
    else:
        for item, label, answer in rows:
            ctx.print(f"{label:40} {answer or '-':7} ({item})")
    return 0


def cmd_fuse(args: argparse.Namespace, ctx: CommandContext) -> int:
    from core.training.fuse import fuse_run
    from core.training.runner import find_run

    run = find_run(ctx.db, args.run)
    started = time.time()
    out = fuse_run(ctx.project, ctx.db, run, output=args.output, dequantize=args.dequantize)
    if ctx.json:
        ctx.print_json({"name": run.name, "fused_path": str(out), "seconds": round(time.time() - started, 2)})
    else:
        ctx.print(f"fused model written to {out}")
    return 0


__all__ = ["register", "config_from_args", "ProgressBar"]
