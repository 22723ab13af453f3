"""The training subprocess: `python -m core.training.worker RUN_DIR`.

Drives `mlx_lm.tuner.trainer.train` itself (not `mlx_lm.lora.run`, which replaces
any callback with its own reporting ones) and writes every report as one JSON line
to `RUN_DIR/progress.jsonl` and to stdout.  mlx-lm's own rich tables go to stderr
(`RUN_DIR/worker.log` when the runner starts us), never mixed with the JSON.

Stop: SIGTERM (or SIGINT) sets a flag.  The batch iterator handed to the trainer
checks it before each step, so the step in flight finishes, the loop ends
normally, the trainer saves the adapters, and we save a numbered checkpoint and
emit "stopped" (exit 0).  Checkpoints are numbered by the run's global
iteration, so a resumed run continues the numbering and the learning-rate
schedule (the schedule is shifted by the start iteration).  Each checkpoint has the
optimizer's state beside it (`optimizer_state`), and a resume loads it and skips the
batches already trained, so its next steps are the uninterrupted run's.

Refused before the first step: a max sequence length that would truncate any
example's whole answer away (`datasets.check_answers_fit`).  A NaN or infinite loss
ends the run as failed (an "error" event), never "done".

Exit codes: 0 done or stopped, 1 error (an "error" event says why).
"""

from __future__ import annotations

import math
import os
import re
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Iterator, Optional, Union

from core.errors import UserError
from core.paths import inside
from core.training.config import TrainingConfig
from core.training.optimizer_state import load_optimizer_state, optimizer_file, save_optimizer_state
from core.training.progress import ProgressWriter
from core.training.worker_setup import (WorkerError, build_optimizer, check_model_folder, load_model,
                                        parameter_count, prepare_model, write_adapter_config)

ADAPTERS_DIR = "adapters"
ADAPTER_FILE = "adapters.safetensors"
CHECKPOINT_RE = re.compile(r"^(\d{7})_adapters\.safetensors$")
NOTHING_TO_RESUME = "Stopped before the first checkpoint; nothing to resume (resume starts from the beginning)."
OOM_SUGGESTION = ("Out of memory: use a smaller batch (--batch) or sequence length (--max-seq), turn on "
                  "gradient checkpointing (--grad-ckpt), train fewer layers (--layers), or use a quantized model.")


class StopRequested:
    """The flag the signal handler sets and the batch iterator reads."""

    def __init__(self) -> None:
        self.requested = False
        self.signal_name = ""

    def install(self) -> None:
        def handler(signum: int, _frame: Any) -> None:
            self.requested = True
            self.signal_name = signal.Signals(signum).name

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)


def checkpoint_name(iteration: int) -> str:
    return f"{iteration:07d}_adapters.safetensors"


def last_checkpoint(run_dir: Union[str, Path]) -> Optional[tuple[int, Path]]:
    """The highest-numbered checkpoint (iteration, path) in RUN_DIR/adapters, or None."""
    adapter_dir = Path(run_dir) / ADAPTERS_DIR
    best: Optional[tuple[int, Path]] = None
    if adapter_dir.is_dir():
        for path in adapter_dir.iterdir():
            match = CHECKPOINT_RE.match(path.name)
            if match and (best is None or int(match.group(1)) > best[0]):
                best = (int(match.group(1)), path)
    return best


class NonFiniteLoss(WorkerError):
    """A loss became NaN or infinite: the run fails (it is never "done", never calibrates the planner)."""


def check_finite(kind: str, loss: float, iteration: int) -> None:
    """Raise NonFiniteLoss for a NaN or infinite loss, with what usually causes it."""
    if not math.isfinite(loss):
        raise NonFiniteLoss(
            f"The {kind} loss became {loss} at iteration {iteration}, so the run stops as failed.",
            "Start a new run with a lower learning rate (--lr, or Learning rate on the Train screen): a resume "
            "keeps this run's settings, so it would diverge again.")


class ProgressCallback:
    """mlx-lm TrainingCallback that turns reports into progress events with global iterations."""

    def __init__(self, writer: ProgressWriter, start_iteration: int, trained_tokens_before: int) -> None:
        self.writer = writer
        self.start_iteration = start_iteration
        self.trained_tokens_before = trained_tokens_before
        self.last_train: dict[str, Any] = {}
        self.loop: Optional["TrainingLoopControl"] = None  # set by run_training: counts every token fed
        self._window_start = (0, 0, 0, 0)  # (loss tokens, real tokens, padded tokens, sequences) at last report

    def on_train_loss_report(self, info: dict[str, Any]) -> None:
        self.last_train = info
        iteration = int(info["iteration"]) + self.start_iteration
        check_finite("training", float(info["train_loss"]), iteration)
        self.writer.emit(
            "train",
            iteration=iteration,
            loss=float(info["train_loss"]),
            learning_rate=float(info["learning_rate"]),
            it_per_s=float(info["iterations_per_second"]),
            tokens_per_s=float(info["tokens_per_second"]),
            trained_tokens=int(info["trained_tokens"]) + self.trained_tokens_before,
            peak_memory_gb=float(info["peak_memory"]),
            **self._processed(info),
        )

    def _processed(self, info: dict[str, Any]) -> dict[str, Any]:
        """All tokens fed to the model in this report window (prompts included, padding apart) per second.

        WHY: mlx-lm's tokens_per_second counts loss tokens only (answers only under --mask-prompt), so the
        planner, which models every token a step processes, would read a masked run as several times slower.
        The window's seconds are its loss tokens / tokens_per_second, exactly as mlx-lm measured them.
        """
        if self.loop is None:
            return {}
        loss_tokens = int(info["trained_tokens"])
        now = (loss_tokens, self.loop.real_tokens, self.loop.padded_tokens, self.loop.sequences)
        d_loss, d_real, d_padded, d_seqs = (a - b for a, b in zip(now, self._window_start))
        self._window_start = now
        rate = float(info["tokens_per_second"])
        seconds = d_loss / rate if rate > 0 and d_loss > 0 else 0.0
        return {"processed_tokens_per_s": round(d_real / seconds, 3) if seconds > 0 else 0.0,
                "padded_tokens_per_s": round(d_padded / seconds, 3) if seconds > 0 else 0.0,
                "mean_seq_len": round(d_real / d_seqs, 1) if d_seqs else 0.0,
                "padded_seq_len": round(d_padded / d_seqs, 1) if d_seqs else 0.0}

    def on_val_loss_report(self, info: dict[str, Any]) -> None:
        iteration = int(info["iteration"]) + self.start_iteration
        check_finite("validation", float(info["val_loss"]), iteration)
        self.writer.emit(
            "val",
            iteration=iteration,
            val_loss=float(info["val_loss"]),
            val_time=float(info["val_time"]),
        )


class TrainingLoopControl:
    """Wraps mlx-lm's `iterate_batches` to save numbered checkpoints and to stop between steps.

    WHY here: the trainer pulls one batch per iteration, and by the time it asks for
    the next one the previous step has been evaluated.  That is the one place where
    a checkpoint reflects a finished step and a stop leaves the loop cleanly (the
    trainer then saves its final adapters itself).
    """

    def __init__(self, model: Any, adapter_dir: Path, start_iteration: int, save_every: int,
                 stop: StopRequested, writer: ProgressWriter,
                 base_iterate: Callable[..., Iterator[Any]], optimizer: Any = None, report_every: int = 1,
                 val_seed: int = 0) -> None:
        self.model = model
        self.val_seed = val_seed
        self.optimizer = optimizer
        self.report_every = report_every
        self.adapter_dir = adapter_dir
        self.start_iteration = start_iteration
        self.save_every = save_every
        self.stop = stop
        self.writer = writer
        self.base_iterate = base_iterate
        self.completed = 0  # steps finished in this process
        self.real_tokens = 0  # training tokens fed (prompt + answer, no padding), for the planner's calibration
        self.padded_tokens = 0  # batch x padded length, what the step really computes on
        self.sequences = 0
        self.stopped = False
        self.last_checkpoint = 0

    @property
    def global_iteration(self) -> int:
        return self.start_iteration + self.completed

    def save_checkpoint(self, iteration: int) -> Path:
        import mlx.core as mx
        from mlx.utils import tree_flatten

        weights = dict(tree_flatten(self.model.trainable_parameters()))
        path = self.adapter_dir / checkpoint_name(iteration)
        mx.save_safetensors(str(path), weights)
        # Keep adapters.safetensors at the latest checkpoint, so a killed run still has usable adapters.
        mx.save_safetensors(str(self.adapter_dir / ADAPTER_FILE), weights)
        if self.optimizer is not None:
            save_optimizer_state(self.optimizer, optimizer_file(path))
        self.last_checkpoint = iteration
        self.writer.emit("checkpoint", iteration=iteration, path=str(path))
        return path

    def __call__(self, dataset: Any, batch_size: int, max_seq_length: int, loop: bool = False,
                 seed: Optional[int] = None, comm_group: Any = None) -> Iterator[Any]:
        inner = self.base_iterate(dataset=dataset, batch_size=batch_size, max_seq_length=max_seq_length,
                                  loop=loop, seed=seed, comm_group=comm_group)
        if not loop:  # validation batches pass straight through, drawn from their own seed
            yield from self._validation(inner)
            return
        first = True
        # A resume continues the data order where its checkpoint left it (the same seeded permutation),
        # instead of replaying the first batches: with the optimizer state, the next steps are the ones the
        # uninterrupted run would have taken.
        skip = self.start_iteration
        for batch in inner:
            if skip:
                skip -= 1
                continue
            if not first:
                self.completed += 1
                if self.completed < self.report_every:
                    # Before the first report (minutes on a slow machine) each step says it finished.
                    self.writer.emit("step", iteration=self.global_iteration)
                if self.global_iteration % self.save_every == 0:
                    self.save_checkpoint(self.global_iteration)
            first = False
            if self.stop.requested:
                self.stopped = True
                return
            self._count(batch)
            yield batch

    def _validation(self, inner: Iterator[Any]) -> Iterator[Any]:
        """The validation batches, shuffled from `val_seed` with numpy's training generator left as it was.

        WHY: mlx-lm shuffles validation batches with numpy's global generator, the one that also orders every
        training epoch.  A resumed session validates at other moments than the uninterrupted run, so its next
        epoch trained on other batches; drawn apart, every validation also measures the same batches.
        """
        import numpy as np

        training_state = np.random.get_state()
        np.random.seed(self.val_seed)
        try:
            first = next(inner, None)  # mlx-lm draws the validation order before its first batch
        finally:
            np.random.set_state(training_state)
        if first is not None:
            yield first
            yield from inner

    def _count(self, batch: Any) -> None:
        """Add a training batch's real and padded token counts (mlx-lm yields (tokens, (offset, length) rows))."""
        try:
            tokens, lengths = batch
            self.padded_tokens += int(tokens.shape[0] * tokens.shape[1])
            self.real_tokens += int(lengths[:, 1].sum().item())
            self.sequences += int(tokens.shape[0])
        except (TypeError, ValueError, IndexError, AttributeError):
            pass  # another batch layout: the calibration falls back to mlx-lm's own rate


def train_run(run_dir: Path, writer: ProgressWriter, stop: StopRequested) -> str:
    """Train the run in `run_dir`; return the final event kind ("done" or "stopped")."""
    from core.training.datasets import check_answers_fit, check_rows, load_splits, loss_scope

    started = time.time()
    config = TrainingConfig.load(run_dir / "config.json").validate()
    # Cheap checks first: a bad line or a missing model fails in a second, before mlx is even imported.
    check_rows(Path(config.data_dir))
    check_model_folder(config)
    writer.emit("loading", iteration=config.start_iteration, message="loading the model and tokenizing the data")

    import mlx.core as mx
    import numpy as np
    from mlx_lm.tuner import trainer as mlx_trainer

    np.random.seed(config.seed)
    mx.random.seed(config.seed)
    model, tokenizer, model_config = load_model(config)
    splits = load_splits(Path(config.data_dir), tokenizer)
    fits = check_answers_fit(splits, config.max_seq_length)  # refuses a run whose answers would be cut away
    train_set, valid_set = splits["train"], splits["valid"]
    if len(train_set) < config.batch_size:
        raise WorkerError(f"The train split has {len(train_set)} examples, fewer than the batch size "
                          f"{config.batch_size}.", "Use a smaller batch (--batch) or a bigger build.")
    no_validation = "" if valid_set is not None else "no validation: the build has no valid split"
    if valid_set is not None and len(valid_set) < config.batch_size:
        no_validation = (f"no validation: the valid split has {len(valid_set)} examples, fewer than the batch size "
                         f"{config.batch_size}")
        valid_set = None  # mlx-lm cannot batch it; train without validation rather than fail
    total_iterations = config.total_iterations or config.resolve_iterations(len(train_set))
    remaining = total_iterations - config.start_iteration
    if remaining <= 0:
        writer.emit("done", iteration=config.start_iteration, adapter_path=str(run_dir / ADAPTERS_DIR),
                    seconds=0.0)
        return "done"
    if stop.requested:  # stopped while loading: nothing was trained, nothing is saved
        return _stopped_before_training(writer, config, run_dir, total_iterations, started)

    mx.random.seed(config.seed)  # as mlx-lm's train_model does, right before building the adapters
    trainable = prepare_model(model, config)
    total_parameters = parameter_count(model.parameters())
    adapter_dir = run_dir / ADAPTERS_DIR
    adapter_dir.mkdir(parents=True, exist_ok=True)
    write_adapter_config(adapter_dir, config, total_iterations)
    optimizer = build_optimizer(config, total_iterations)
    restored = _restore_optimizer(optimizer, config)

    writer.emit(
        "config",
        total_iterations=total_iterations,
        start_iteration=config.start_iteration,
        n_train=len(train_set),
        n_valid=len(valid_set) if valid_set is not None else 0,
        n_test=len(splits["test"]) if splits["test"] is not None else 0,
        trainable_parameters=int(trainable),
        total_parameters=int(total_parameters),
        quantization=model_config.get("quantization"),
        pid=os.getpid(),
        loss_on=loss_scope(train_set),
        answers_cut={fit.split: fit.cut for fit in fits if fit.cut},
        optimizer_restored=restored,
        no_validation=no_validation,  # "" when validation runs; else why not, said beside the loss
        settings=config.to_dict(),
    )
    control = TrainingLoopControl(model, adapter_dir, config.start_iteration, config.save_every, stop, writer,
                                  mlx_trainer.iterate_batches, optimizer=optimizer,
                                  report_every=config.steps_per_report, val_seed=config.seed)
    callback = ProgressCallback(writer, config.start_iteration,
                                config.trained_tokens_before)
    callback.loop = control
    args = mlx_trainer.TrainingArgs(
        batch_size=config.batch_size,
        iters=remaining,
        val_batches=config.val_batches,
        steps_per_report=config.steps_per_report,
        steps_per_eval=config.steps_per_eval,
        steps_per_save=remaining + 1,  # numbered checkpoints are ours (global iteration numbers)
        adapter_file=str(adapter_dir / ADAPTER_FILE),
        max_seq_length=config.max_seq_length,
        grad_checkpoint=config.grad_checkpoint,
        grad_accumulation_steps=config.grad_accumulation_steps,
    )
    mlx_trainer.train(model=model, optimizer=optimizer, train_dataset=train_set, val_dataset=valid_set,
                      args=args, iterate_batches=control,
                      training_callback=callback)  # type: ignore[arg-type]  # duck-typed like mlx-lm's own
    final_iteration = control.global_iteration if control.stopped else total_iterations
    if control.stopped and final_iteration == config.start_iteration:
        return _stopped_before_training(writer, config, run_dir, total_iterations, started)
    if control.last_checkpoint != final_iteration:
        control.save_checkpoint(final_iteration)
    kind = "stopped" if control.stopped else "done"
    message = f"Stopped at iteration {final_iteration}; its checkpoint is saved." if control.stopped else ""
    writer.emit(kind, iteration=final_iteration, total_iterations=total_iterations,
                adapter_path=str(adapter_dir), seconds=round(time.time() - started, 3), message=message)
    return kind


def _restore_optimizer(optimizer: Any, config: TrainingConfig) -> bool:
    """Load the optimizer state saved with the checkpoint a resume starts from; False when there is none."""
    if not config.resume_adapter_file:
        return False
    path = optimizer_file(Path(config.resume_adapter_file))
    if not path.is_file():  # a checkpoint written before optimizer states were saved
        return False
    load_optimizer_state(optimizer, path)
    return True


def _stopped_before_training(writer: ProgressWriter, config: TrainingConfig, run_dir: Path, total_iterations: int,
                             started: float) -> str:
    """The "stopped" event of a stop that came before any step of this session: no checkpoint is claimed."""
    iteration = config.start_iteration
    kept = last_checkpoint(run_dir)
    if kept is None:  # mlx-lm's trainer saved its untrained adapters on the way out: not a checkpoint
        untrained = inside(run_dir, ADAPTERS_DIR, ADAPTER_FILE)
        if untrained.is_file():
            untrained.unlink()
    message = (f"Stopped before training resumed; the checkpoint of iteration {kept[0]} is kept." if kept
               else NOTHING_TO_RESUME)
    writer.emit("stopped", iteration=iteration, total_iterations=total_iterations,
                adapter_path=str(run_dir / ADAPTERS_DIR), seconds=round(time.time() - started, 3),
                message=message, checkpoint=kept is not None)
    return "stopped"


def classify_error(exc: BaseException) -> tuple[str, str]:
    """A message and a suggestion for an unexpected exception (out of memory gets its own advice)."""
    text = f"{type(exc).__name__}: {exc}"
    lowered = text.lower()
    if isinstance(exc, MemoryError) or "out of memory" in lowered or "unable to allocate" in lowered \
            or "bad_alloc" in lowered or "failed to allocate" in lowered:
        return f"Training ran out of memory ({text}).", OOM_SUGGESTION
    return f"Training failed: {text}", "Read RUN_DIR/worker.log for details; if it persists, report it with that log."


def main(argv: Optional[list[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) != 1:
        sys.stderr.write("usage: python -m core.training.worker RUN_DIR\n")
        return 2
    run_dir = Path(argv[0]).resolve()
    if not run_dir.is_dir():
        sys.stderr.write(f"The run folder {run_dir} does not exist.\n")
        return 2
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    json_out = sys.stdout
    sys.stdout = sys.stderr  # mlx-lm's rich output goes to the log, never into the JSON stream
    writer = ProgressWriter(run_dir / "progress.jsonl", echo=json_out)
    stop = StopRequested()
    stop.install()
    try:
        train_run(run_dir, writer, stop)
        return 0
    except UserError as exc:
        writer.emit("error", message=str(exc), suggestion=getattr(exc, "suggestion", ""), traceback="")
        return 1
    except BaseException as exc:  # noqa: BLE001 - the error event must be written whatever happened
        message, suggestion = classify_error(exc)
        writer.emit("error", message=message, suggestion=suggestion, traceback=traceback.format_exc())
        traceback.print_exc()
        return 1
    finally:
        writer.close()
        sys.stdout = json_out


if __name__ == "__main__":
    sys.exit(main())
