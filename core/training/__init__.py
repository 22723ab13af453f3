"""Fine-tuning with mlx-lm in a subprocess.

`config` (TrainingConfig: what a run trains), `worker` (the subprocess that drives
mlx-lm's trainer and writes JSON-line progress), `progress` (typed progress events),
`runner` (create, start, attach, stop, resume runs from the app or CLI),
`evaluate` (test loss, side-by-side samples, warning signs, checklist), `fuse`
(adapters into a standalone model folder), `model_info` (size and quantization of a
model folder).  Only `worker`, `evaluate` and `fuse` import mlx, and only when called,
so the UI can import this package without loading a numerical stack.
"""
