"""`rustdoc-gen train` settings and bad input: typed config from TOML/YAML with flag
overrides, and one clear line with a non-zero exit before any training starts."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from rustdoc_cli.cli import main as cli
from trainer.config import LORA_TARGETS, TrainConfig, build_config, read_config_file


def test_toml_config_gives_defaults_and_flags_override_it(tmp_path):
    path = tmp_path / "train.toml"
    path.write_text('[train]\ndataset = "data/cli"\noutput = "runs/r1"\nmax-steps = 500\nlearning_rate = 1e-4\nlora_targets = ["q_proj", "v_proj"]\npacking = true\n')
    config = build_config(read_config_file(path), {"max_steps": 20, "seed": None}, base_dir=tmp_path)
    assert config.max_steps == 20  # the flag wins
    assert config.learning_rate == 1e-4 and config.packing is True
    assert config.lora_targets == ("q_proj", "v_proj")
    assert config.dataset == tmp_path / "data/cli"  # relative to the config file
    assert config.seed == 0 and config.lora_r == 16 and config.lora_alpha == 32 and config.lora_dropout == 0.05


def test_yaml_config_is_read_the_same_way(tmp_path):
    path = tmp_path / "train.yaml"
    path.write_text("dataset: /data/cli\noutput: /runs/r2\nepochs: 2\nqlora: false\nlimit: 100\n")
    config = build_config(read_config_file(path), {})
    assert (config.epochs, config.qlora, config.limit) == (2.0, False, 100)
    assert config.lora_targets == LORA_TARGETS


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"max_stepz": 3}, "unknown setting 'max_stepz'"),
        ({"max_steps": "many"}, "max_steps: expected int"),
        ({"batch_size": 0}, "batch_size: must be positive"),
        ({"lora_dropout": 1.5}, "lora_dropout: must be in [0, 1)"),
    ],
)
def test_bad_settings_name_the_field(values, message):
    with pytest.raises(ValueError) as error:
        build_config({"dataset": "d", "output": "o", **values}, {})
    assert message in str(error.value)


def test_config_round_trips_through_run_json_shape():
    config = TrainConfig(dataset=None, output=None)
    data = config.to_dict()
    assert json.loads(json.dumps(data))["lora_targets"] == list(LORA_TARGETS)
    assert data["base_model"] == "Qwen/Qwen2.5-Coder-1.5B-Instruct"


def _invoke(*args: str):
    return CliRunner().invoke(cli, ["train", *args])


def test_missing_dataset_option_is_one_line_error(tmp_path):
    result = _invoke("--output", str(tmp_path / "run"))
    assert result.exit_code == 1
    assert result.output.strip() == "error: dataset: required (--dataset DIR)"


def test_dataset_that_fails_validation_is_refused_before_training(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "train.jsonl").write_text('{"id": 1}\n')
    result = _invoke("--dataset", str(data), "--output", str(tmp_path / "run"))
    assert result.exit_code == 1
    assert "failed validation" in result.output and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()


@pytest.fixture
def small_dataset(debian_crate, tmp_path):
    out = tmp_path / "data"
    result = CliRunner().invoke(cli, ["-q", "mine", str(debian_crate("globset")), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_unloadable_base_model_is_one_line_error(small_dataset, tmp_path):
    not_a_model = tmp_path / "empty-model"
    not_a_model.mkdir()
    result = _invoke("--dataset", str(small_dataset), "--output", str(tmp_path / "run"), "--base-model", str(not_a_model))
    assert result.exit_code == 1
    assert "cannot load base model" in result.output and len(result.output.strip().splitlines()) == 1


def test_qlora_without_cuda_is_refused_clearly(small_dataset, tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present: --qlora is allowed here")
    base = tmp_path / "base"  # a local base: the check comes before any model loads
    base.mkdir()
    result = _invoke("--dataset", str(small_dataset), "--output", str(tmp_path / "run"), "--base-model", str(base), "--qlora")
    assert result.exit_code == 1
    assert "--qlora needs a CUDA device" in result.output



def test_unknown_learning_rate_schedule_is_refused_by_name(tmp_path):
    result = _invoke("--dataset", str(tmp_path), "--output", str(tmp_path / "run"), "--lr-scheduler", "zigzag")
    assert result.exit_code == 1
    assert "lr_scheduler: 'zigzag' is not one of" in result.output and "cosine" in result.output


# --- checked before anything heavy (issue 23) --------------------------------------------------

HEAVY = ("torch", "transformers", "peft", "trl")

# A CLI run in a fresh interpreter that reports, after the command failed, which heavy libraries it imported.
_PROBE = """
import json, sys
from rustdoc_cli.cli import main
try:
    main(sys.argv[1:], standalone_mode=False)
    code = 0
except SystemExit as exit:
    code = exit.code
except Exception as error:  # click's UserError: the one-line message
    code = getattr(error, "exit_code", 1)
    print(error.format_message() if hasattr(error, "format_message") else error, file=sys.stderr)
print(json.dumps({"code": code, "heavy": sorted(m for m in %r if m in sys.modules)}))
""" % (HEAVY,)


def _probe(*args: str, env: dict | None = None):
    import os
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _PROBE, "train", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr.strip().splitlines()


def test_a_missing_dataset_fails_before_torch_transformers_or_peft_load(tmp_path):
    report, err = _probe("--dataset", str(tmp_path / "nowhere"), "--output", str(tmp_path / "run"))
    assert report == {"code": 1, "heavy": []}, err
    assert err == [f"dataset {tmp_path / 'nowhere'}: no such directory (write one with `rustdoc-gen mine REPO -o {tmp_path / 'nowhere'}`)"]
    assert not (tmp_path / "run").exists()


def test_a_bad_schedule_fails_before_transformers_loads(tmp_path):
    report, err = _probe("--dataset", str(tmp_path), "--output", str(tmp_path / "run"), "--lr-scheduler", "zigzag")
    assert report == {"code": 1, "heavy": []} and "lr_scheduler: 'zigzag' is not one of" in err[-1]


def test_the_named_schedules_are_transformers_own():
    from transformers import SchedulerType

    from trainer.config import LR_SCHEDULERS

    assert set(LR_SCHEDULERS) == {s.value for s in SchedulerType}


@pytest.fixture
def tiny_dataset(debian_crate, tmp_path):
    """Records mined from Debian's same-file (the smallest crate at hand): a dataset that validates."""
    out = tmp_path / "data"
    result = CliRunner().invoke(cli, ["-q", "mine", str(debian_crate("same-file")), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.parametrize(("env", "why"), [
    ({"HF_HUB_OFFLINE": "1"}, "HF_HUB_OFFLINE is set"),
    ({"HF_ENDPOINT": "http://127.0.0.1:9"}, "the Hugging Face Hub cannot be reached (127.0.0.1:9: "),
])
def test_a_hub_base_offline_fails_at_once_like_model_pull_and_leaves_no_run_dir(tiny_dataset, tmp_path, env, why):
    cache = tmp_path / "hf"
    env = {**env, "HF_HOME": str(cache), "HF_HUB_CACHE": str(cache / "hub")}
    report, err = _probe("--dataset", str(tiny_dataset), "--output", str(tmp_path / "run"),
                         "--base-model", "Qwen/Qwen2.5-Coder-0.5B-Instruct", env=env)
    assert report == {"code": 1, "heavy": []}, err
    assert len(err) == 1 and err[0].startswith(f"cannot get base model Qwen/Qwen2.5-Coder-0.5B-Instruct: {why}")
    assert f"and it is not in the cache ({cache / 'hub'})" in err[0]
    assert not (tmp_path / "run").exists()


def test_a_missing_base_path_is_named_not_asked_of_the_hub(tiny_dataset, tmp_path):
    report, err = _probe("--dataset", str(tiny_dataset), "--output", str(tmp_path / "run"),
                         "--base-model", str(tmp_path / "models" / "base"))
    assert report == {"code": 1, "heavy": []}
    assert err == [f"base model {tmp_path / 'models' / 'base'}: no such GGUF file or model directory"]


def test_a_failed_start_takes_away_the_run_dir_it_made(tiny_dataset, tmp_path):
    not_a_model = tmp_path / "empty-model"
    not_a_model.mkdir()
    result = _invoke("--dataset", str(tiny_dataset), "--output", str(tmp_path / "runs" / "r1"), "--base-model", str(not_a_model))
    assert result.exit_code == 1 and "cannot load base model" in result.output
    assert not (tmp_path / "runs" / "r1").exists()


def test_resume_of_a_run_whose_record_is_corrupt_is_one_line(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_text('{"config": {"max_steps": 3')
    result = _invoke("--output", str(run), "--resume")
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [f"error: {run / 'run.json'} is corrupt (the run's record: Expecting ',' delimiter); rerun the step that wrote it"]


def _finished_run(tmp_path):
    """A finished SFT run as DPO's --from reads it: adapter settings naming a base directory, and run.json."""
    base = tmp_path / "base"
    base.mkdir()
    run = tmp_path / "sft"
    (run / "adapter").mkdir(parents=True)
    (run / "adapter" / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": str(base)}))
    (run / "run.json").write_text(json.dumps({"status": "finished", "prompt_rendering": "chat"}))
    prefs = tmp_path / "prefs"
    prefs.mkdir()
    pair = {"prompt": [{"role": "user", "content": "doc this"}], "chosen": [{"role": "assistant", "content": "Good."}],
            "rejected": [{"role": "assistant", "content": "Bad."}]}
    (prefs / "train.jsonl").write_text(json.dumps(pair) + "\n")
    return run, prefs


def test_dpo_into_its_own_sft_run_is_refused_before_anything_heavy(tmp_path):
    run, prefs = _finished_run(tmp_path)
    report, err = _probe("--method", "dpo", "--preferences", str(prefs), "--from", str(run), "--output", str(run))
    assert report == {"code": 1, "heavy": []}
    assert err == [f"--output {run} is the --from run; DPO writes a new run (choose another --output)"]


def test_dpo_from_a_run_that_is_not_finished_is_one_line(tmp_path):
    run, prefs = _finished_run(tmp_path)
    (run / "run.json").unlink()
    report, err = _probe("--method", "dpo", "--preferences", str(prefs), "--from", str(run), "--output", str(tmp_path / "dpo"))
    assert report == {"code": 1, "heavy": []}
    assert err == [f"--from {run}: not a finished training run (no adapter/ or run.json); train it with --method sft first"]
    assert not (tmp_path / "dpo").exists()


def test_a_hub_base_in_the_cache_is_read_from_there_when_the_hub_cannot_be_reached(tmp_path):
    import os
    import subprocess
    import sys

    cache = tmp_path / "hub"
    snapshot = cache / "models--someone--tiny-coder" / "snapshots" / "0123abcd"
    snapshot.mkdir(parents=True)
    (snapshot / "config.json").write_text('{"architectures": ["Qwen2ForCausalLM"]}')
    (cache / "models--someone--tiny-coder" / "refs").mkdir()
    (cache / "models--someone--tiny-coder" / "refs" / "main").write_text("0123abcd")
    probe = "from trainer.base_models import locate_base_model; print(locate_base_model('someone/tiny-coder'))"
    for env in ({"HF_HUB_OFFLINE": "1"}, {"HF_ENDPOINT": "http://127.0.0.1:9"}):
        done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                              env={**os.environ, "HF_HUB_CACHE": str(cache), "HF_HOME": str(tmp_path / "home"), **env})
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stdout.strip() == str(snapshot), env
