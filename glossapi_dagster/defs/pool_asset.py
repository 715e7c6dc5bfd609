"""The one skeleton of every asset that runs on the worker pool (extracted_docs, ocr_docs,
math_enriched): pick the rows of the selected shards, run the phase on the pool, and record one
materialization per shard carrying THAT shard's counts (the pool's own figures, seconds, pages/s,
worker shares, are the run's, on each)."""
# No `from __future__ import annotations`: Dagster reads the config class off the signature.
from dataclasses import dataclass
from typing import Any, Callable

from dagster import AssetExecutionContext, Failure, MaterializeResult, RetryPolicy, asset

from ..datamodel import OptionsError, SettingsError
from ..phases.undone import blocked_notes
from ..pool import SUCCESS, ItemOutcome, PoolConfig, PoolReport
from ..state import OutputLayout, ProgressStore, SkipList
from ..state.names import match_names
from .heartbeat import Heartbeat, RunLost, run_owner
from .metadata import outcome_metadata, pool_metadata
from .resources import CorpusResource, GpuPoolResource
from .selection import ON_THE_POOL, nothing_to_do


@dataclass
class Step:
    """One materialization's inputs, as the phase's hooks see them."""

    context: AssetExecutionContext
    options: Any                                            # the phase's options model, validated
    gpu_pool: GpuPoolResource
    layout: OutputLayout
    store: ProgressStore
    keys: set[str]
    heartbeat: Heartbeat

    @property
    def skip(self) -> set[str]:
        return SkipList(self.layout.skiplist).read()

    def run_kwargs(self) -> dict:
        """What every phase's run function (run_extraction, run_ocr, run_math: one signature) takes
        from the step besides its rows: the options, the accel type the pool config resolved, the
        run's log, the run as the owner of its claims, summaries to the log and to the heartbeat,
        the pool to the resource (which stops its workers at teardown)."""
        return {"options": self.options, "accel_type": self.gpu_pool.accel(), "log": self.context.log,
                "owner": run_owner(self.context), "on_summary": self.on_summary, "on_pool": self.gpu_pool.track}

    def on_summary(self, summary) -> None:
        self.context.log.info(summary.line())
        self.heartbeat.check()


@dataclass(frozen=True)
class PoolPhase:
    """What one pool asset does besides the shared skeleton."""

    name: str
    phase: str                                              # the worker log folder: extract, ocr, math
    config_type: type
    deps: list
    description: str
    targets: Callable[[Step], list[dict]]                   # rows of step.keys to do, each with stem and shard
    run: Callable[..., PoolReport]                          # the phase's run function: (out_dir, rows, config, **Step.run_kwargs())
    todo_line: str                                          # the log line, with {n} rows and {shards}
    item: str = "path"                                      # the row field the pool's work items are
    setup_errors: tuple = ()                                # raised before any work: a Failure, not retried
    prepare: Callable[[Step, PoolConfig], str] | None = None  # checks and pool tweaks; returns a log suffix
    shows: Callable[[ItemOutcome], bool] = lambda o: o.status == SUCCESS  # may be the preview
    shard_extras: Callable[[Step, list[ItemOutcome], dict], dict] | None = None  # with stem_of
    run_extras: Callable[[Step, PoolReport], dict] | None = None
    drop: tuple = ()                                        # metadata keys that mean nothing for this phase
    retry_policy: RetryPolicy | None = None


def pool_asset(spec: PoolPhase):
    config_type = spec.config_type

    @asset(**ON_THE_POOL, name=spec.name, deps=spec.deps, description=spec.description,
           retry_policy=spec.retry_policy)
    def _pool_asset(context: AssetExecutionContext, config: config_type, corpus: CorpusResource,
                    gpu_pool: GpuPoolResource):
        try:
            options = config.options()
            # from the step's start to its end: lost_runs_sensor judges this run meanwhile
            heartbeat = Heartbeat(context.instance, context.run.run_id, gpu_pool.summary_interval, context.log)
        except (OptionsError, SettingsError) as exc:  # a bad option or variable: a retry cannot fix it
            raise Failure(str(exc), allow_retries=False) from exc
        with heartbeat:
            try:
                yield from _run_phase(spec, context, options, corpus, gpu_pool, heartbeat)
                heartbeat.check()
            except RunLost as exc:  # failed as lost while alive: the retry has its shards
                raise Failure(str(exc), allow_retries=False) from exc

    return _pool_asset


def _run_phase(spec: PoolPhase, context: AssetExecutionContext, options, corpus: CorpusResource,
               gpu_pool: GpuPoolResource, heartbeat: Heartbeat):
    layout = OutputLayout(corpus.output_dir)
    step = Step(context, options, gpu_pool, layout, ProgressStore(layout.store_dir), set(context.partition_keys),
                heartbeat)
    pool_config, suffix = None, ""
    if spec.prepare is not None:
        try:
            pool_config = gpu_pool.pool_config(str(layout.root), spec.phase)  # reads the GLOSSAPI_* settings
            suffix = spec.prepare(step, pool_config)
        except ValueError as exc:  # a bad option or variable: a retry cannot fix it
            raise Failure(str(exc), allow_retries=False) from exc
    rows = spec.targets(step)
    if getattr(options, "filenames", None):  # GlossAPI's filenames / file_paths: only these
        rows, _ = match_names(rows, options.filenames)
    context.log.info(spec.todo_line.format(n=len(rows), shards=len(step.keys)) + suffix)
    for note in blocked_notes(step.store, spec.phase, step.skip, step.keys):  # work it cannot take
        context.log.warning(note)
    if not rows:
        nothing_to_do(context)
        return
    try:
        pool_config = pool_config or gpu_pool.pool_config(str(layout.root), spec.phase)  # resolves accel_type
        report = spec.run(layout.root, rows, pool_config, **step.run_kwargs())
    except spec.setup_errors as exc:  # e.g. weights or language data missing: retrying cannot help
        raise Failure(str(exc), allow_retries=False) from exc
    yield from shard_results(spec, step, rows, report)


def shard_results(spec: PoolPhase, step: Step, rows: list[dict], report: PoolReport):
    """The run's figures on every shard's materialization, each shard's own counts over them."""
    stem_of = {r[spec.item]: r["stem"] for r in rows}
    shard_of = {r[spec.item]: r["shard"] for r in rows}
    by_shard: dict[str, list[ItemOutcome]] = {key: [] for key in step.keys}
    for outcome in report.outcomes:
        by_shard.setdefault(shard_of[outcome.item], []).append(outcome)
    for key, outcomes in sorted(by_shard.items()):
        shown = [stem_of[o.item] for o in outcomes if spec.shows(o)]
        meta = outcome_metadata(outcomes, stem_of, step.layout.markdown(sorted(shown)[0]) if shown else None)
        if spec.shard_extras is not None:
            meta.update(spec.shard_extras(step, outcomes, stem_of))
        for name in spec.drop:
            meta.pop(name, None)
        step.context.add_asset_metadata(meta, partition_key=key)
    run = pool_metadata(report)
    run["shards_in_run"] = len(by_shard)
    if spec.run_extras is not None:
        run.update(spec.run_extras(step, report))
    for name in spec.drop:
        run.pop(name, None)
    yield MaterializeResult(metadata=run)
