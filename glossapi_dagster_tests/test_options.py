"""Every option of every phase, through every door: the asset Config (and the pool resource),
Corpus's methods, the CLI's flags and the sample runner take the same names, defaults and
choices as the options model; a bad choice or a bad GLOSSAPI_* variable is one clear error
before any work."""
from __future__ import annotations

import inspect
import re
import subprocess
from pathlib import Path

import pytest
from dagster import DagsterInvalidConfigError

from glossapi_dagster import Corpus
from glossapi_dagster.cli import main as cli_main
from glossapi_dagster.cli import parser as cli_parser
from glossapi_dagster.cli_flags import flag
from glossapi_dagster.datamodel import (
    DownloadOptions, ExtractOptions, ManifestOptions, MathOptions, OcrOptions, OptionsError, PoolOptions, Settings, SettingsError,
    build, choices_of, register_math_engine, settings,
)
from glossapi_dagster.datamodel.docs import options_markdown
from glossapi_dagster.datamodel.settings import env_name
from glossapi_dagster.definitions import CONFIG_OF_ASSET
from glossapi_dagster.runs import location_job, materialize_extraction, materialize_manifest
from glossapi_dagster.defs.resources import GpuPoolResource
from glossapi_dagster.run_sample import parser as sample_parser

from .conftest import PYTHON, REPO, copy_pdfs, resources
from .crash_math import CrashingMath

PACKAGE = REPO / "glossapi_dagster"
MODEL_OF_ASSET = {"download_results": ManifestOptions, "extracted_docs": ExtractOptions,
                  "ocr_docs": OcrOptions, "math_enriched": MathOptions}
# door -> the models whose every field it takes
CORPUS_DOORS = {"extract": (ExtractOptions, PoolOptions), "ocr": (OcrOptions, MathOptions, PoolOptions),
                "download": (DownloadOptions,)}
CLI_DOORS = {"extract": (ManifestOptions, ExtractOptions, PoolOptions), "ocr": (OcrOptions, MathOptions, PoolOptions),
             "download": (DownloadOptions,)}
TWO_FOLDERS = ("extract", "download")  # commands taking IN and OUT (the others: OUT)


def fields(*models):
    return [(model, name, field) for model in models for name, field in model.model_fields.items()]


@pytest.mark.parametrize("asset", sorted(MODEL_OF_ASSET))
def test_asset_config_is_the_model_field_for_field(asset):
    config, model = CONFIG_OF_ASSET[asset], MODEL_OF_ASSET[asset]
    assert list(config.model_fields) == list(model.model_fields)
    for _, name, field in fields(model):
        mine = config.model_fields[name]
        assert (mine.default, mine.annotation, mine.description) == (field.default, field.annotation,
                                                                     field.description), name
        assert choices_of(config, name) == choices_of(model, name), name
    assert config().options() == model()  # the defaults, as the model


def test_download_configs_are_download_options_field_for_field():
    """link_list takes the list's fields (and the manifest's shard_size), downloaded_files every other one."""
    from glossapi_dagster.defs.download.config import LIST_FIELDS, LinkListConfig

    download = CONFIG_OF_ASSET["downloaded_files"]
    assert set(LinkListConfig.model_fields) == {*LIST_FIELDS, "shard_size"}
    assert set(download.model_fields) | set(LIST_FIELDS) == set(DownloadOptions.model_fields)
    for config in (download, LinkListConfig):
        for _, name, field in fields(DownloadOptions):
            if name in config.model_fields:
                mine = config.model_fields[name]
                assert (mine.default, mine.annotation, mine.description) == (field.default, field.annotation,
                                                                             field.description), name
    assert download().options() == DownloadOptions()
    with pytest.raises(OptionsError, match="supported_formats must be some of 'pdf'"):
        download(supported_formats=["exe"]).options()


def test_pool_resource_is_pool_options_field_for_field():
    for _, name, field in fields(PoolOptions):
        mine = GpuPoolResource.model_fields[name]
        assert (mine.default, mine.annotation, mine.description) == (field.default, field.annotation,
                                                                     field.description), name
    assert GpuPoolResource().options() == PoolOptions()


@pytest.mark.parametrize("method", sorted(CORPUS_DOORS))
def test_corpus_takes_every_option_with_its_default(method):
    params = inspect.signature(getattr(Corpus, method)).parameters
    for model, name, field in fields(*CORPUS_DOORS[method]):
        assert name in params, f"Corpus.{method} lacks {model.__name__}.{name}"
        assert params[name].default == field.default, f"Corpus.{method}({name}=...)"
    # the manifest's options: input_format on extract, shard_size on the constructor
    assert inspect.signature(Corpus.extract).parameters["input_format"].default == \
        ManifestOptions.model_fields["input_format"].default
    assert inspect.signature(Corpus).parameters["shard_size"].default == ManifestOptions.model_fields["shard_size"].default


def _actions(parser) -> dict:
    return {a.dest: a for a in parser._actions}


def _subparser(parser, name):
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    return sub.choices[name]


@pytest.mark.parametrize("command", sorted(CLI_DOORS))
def test_cli_flags_are_the_options(command):
    actions = _actions(_subparser(cli_parser(), command))
    _check_flags(actions, CLI_DOORS[command])


def test_sample_runner_flags_are_the_options():
    _check_flags(_actions(sample_parser()), (ManifestOptions, ExtractOptions, MathOptions, PoolOptions))


def _check_flags(actions: dict, models) -> None:
    for model, name, field in fields(*models):
        action = actions[name]
        assert flag(name) in action.option_strings, name
        assert action.default == field.default, name
        choices = choices_of(model, name)
        if choices:  # shown to the user, and checked by the model, not argparse: one message at every door
            assert action.metavar == "{" + ",".join(choices) + "}", name
        assert field.description in action.help.replace("%%", "%"), name


@pytest.mark.parametrize("command", sorted(CLI_DOORS))
def test_every_choice_reaches_the_model_through_the_cli(command):
    sub = _subparser(cli_parser(), command)
    for model, name, _ in fields(*CLI_DOORS[command]):
        for choice in choices_of(model, name) or ():
            args = ["IN", "OUT", flag(name), choice] if command in TWO_FOLDERS else ["OUT", flag(name), choice]
            parsed = sub.parse_args(args)
            assert getattr(parsed, name) == choice
            model(**{name: choice})  # and the model takes it


@pytest.mark.parametrize("command", sorted(CLI_DOORS))
def test_an_optional_number_takes_none_on_the_cli(command):
    """e.g. --max-pages-per-unit none: never split (the model's None, which a default of 100 hides)."""
    sub = _subparser(cli_parser(), command)
    optional = [(model, name) for model, name, field in fields(*CLI_DOORS[command])
                if field.annotation in (int | None, float | None)]
    assert optional
    for model, name in optional:
        args = ["IN", "OUT", flag(name), "none"] if command in TWO_FOLDERS else ["OUT", flag(name), "none"]
        assert getattr(sub.parse_args(args), name) is None, name
        model(**{name: None})


def test_a_bad_choice_is_one_clear_error_at_every_door(tmp_path, corpus, instance, capsys):
    IN = copy_pdfs(corpus / "pdfs", tmp_path / "IN", ["code_and_formula.pdf"])
    OUT = tmp_path / "OUT"
    said = "phase1_backend must be one of 'auto', 'safe', 'docling', got 'foo'"
    with pytest.raises(OptionsError, match=re.escape(said)):
        Corpus(IN, OUT).extract(phase1_backend="foo", accel_type="cpu")
    assert cli_main(["extract", str(IN), str(OUT), "--phase1-backend", "foo", "--accel-type", "cpu"]) == 2
    assert said in capsys.readouterr().err
    assert not OUT.exists()  # no work started, no folder made
    res = resources(IN, OUT)
    assert materialize_manifest(instance, res).success
    with pytest.raises(OptionsError, match=re.escape(said)):
        materialize_extraction(instance, res, phase1_backend="foo")
    # the launchpad's door: Dagster checks the choice against the Config before a run starts
    # (phase1_backend takes registered backends too, so the launchpad's own check is a Literal's: pipeline)
    with pytest.raises(DagsterInvalidConfigError, match="pipeline"):
        location_job("extract_job").execute_in_process(instance=instance, resources=res, run_config={
            "ops": {"extracted_docs": {"config": {"pipeline": "foo"}}}}, partition_key="shard-00000")
    assert [r.job_name for r in instance.get_runs()] == ["manifest_job"]
    assert not (OUT / "logs").exists()  # no pool ever started
    # a bound and an unknown name, as clearly
    with pytest.raises(OptionsError, match=r"max_pages: input should be greater than or equal to 1, got 0"):
        Corpus(IN, OUT).extract(max_pages=0, accel_type="cpu")
    with pytest.raises(OptionsError, match=r"math_batch_size: input should be greater than or equal to 1"):
        Corpus(IN, OUT).ocr(math_batch_size=0, mode="math_only", accel_type="cpu")


def test_registered_math_engines_are_no_user_choice():
    assert "crash" not in choices_of(MathOptions, "math_engine")
    with pytest.raises(ValueError, match="built-in"):
        register_math_engine("textlayer", CrashingMath)
    with pytest.raises(ValueError, match="importable by the workers"):
        register_math_engine("local", lambda log: None)
    with pytest.raises(OptionsError, match="math_engine must be one of"):
        build(MathOptions, math_engine="not-registered")
    assert not (PACKAGE / "backends" / "crash_math.py").exists()  # the test hook lives in the tests


def test_every_glossapi_variable_is_a_setting_read_in_one_place():
    named = set()
    readers = []
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        named |= set(re.findall(r"GLOSSAPI_[A-Z_]+[A-Z]", text))
        if re.search(r"environ(\.get)?[\[(]\s*[\"']GLOSSAPI_|getenv\(\s*[\"']GLOSSAPI_", text):
            readers.append(path.relative_to(PACKAGE).as_posix())
    declared = {env_name(name) for name in Settings.model_fields}
    assert named - {"GLOSSAPI_"} <= declared, named - declared
    # the pool reads its banner switch in the worker (it imports no pydantic); settings() checked it first
    assert readers == ["pool/worklog.py"], readers


@pytest.mark.parametrize("variable, value", [("GLOSSAPI_SHARD_SIZE", "abc"), ("GLOSSAPI_SENSOR_INTERVAL", "0"),
                                             ("GLOSSAPI_DEVICES", "0,x"), ("GLOSSAPI_USE_GPUS", "all"),
                                             ("GLOSSAPI_RETRY_CRON", "daily"), ("GLOSSAPI_OCR_MAX_PAGES", "-2"),
                                             ("GLOSSAPI_PROBLEMATIC_WARN", "2"), ("GLOSSAPI_WORKER_LOG_VERBOSE", "maybe")])
def test_a_bad_variable_is_one_error_naming_it(variable, value):
    with pytest.raises(SettingsError, match=f"^bad environment variable {variable}={value!r}: "):
        settings({variable: value})


def test_a_bad_variable_stops_the_code_location_and_the_cli_before_any_work(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "GLOSSAPI_SENSOR_INTERVAL": "soon",
           "HOME": str(tmp_path)}
    load = subprocess.run([PYTHON, "-c", "import glossapi_dagster.definitions"], env=env, capture_output=True,
                          text=True, timeout=300)
    assert load.returncode != 0
    assert load.stderr.count("SettingsError: bad environment variable GLOSSAPI_SENSOR_INTERVAL='soon'") == 1
    (tmp_path / "IN").mkdir()
    env = {**env, "GLOSSAPI_SENSOR_INTERVAL": "", "GLOSSAPI_OCR_MAX_PAGES": "some"}
    done = subprocess.run([PYTHON, "-m", "glossapi_dagster.cli", "extract", str(tmp_path / "IN"), str(tmp_path / "OUT"),
                           "--accel-type", "cpu"], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "error: bad environment variable GLOSSAPI_OCR_MAX_PAGES='some'" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "OUT" / "download_results").exists()


def test_settings_defaults_are_the_options_defaults():
    env = Settings()
    assert (env.use_gpus, env.accel_type) == (PoolOptions().use_gpus, PoolOptions().accel_type)
    assert (env.input_format, env.shard_size) == (ManifestOptions().input_format, ManifestOptions().shard_size)


def test_readme_options_table_is_the_models():
    readme = Path(REPO / "README.md").read_text(encoding="utf-8")
    assert options_markdown() in readme, "README.md's options table is stale: run python scripts/options_table.py"
    for _, name, field in fields(ManifestOptions, ExtractOptions, OcrOptions, MathOptions, PoolOptions,
                                 DownloadOptions):
        assert f"| `{name}` | `{field.default!r}` |" in readme, name
