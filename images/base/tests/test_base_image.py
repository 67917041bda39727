"""The base image: what every component image inherits (Python, OpenMP, user, shared requirements)."""

from pathlib import Path

from mlops.images import content_hash_image
from mlops.testing.docker_images import assert_within_recorded_size, image_user, run_image


def base_image() -> str:
    return content_hash_image(Path("images.base/base.docker-info.json"))


def test_base_runs_python_311_as_an_unprivileged_user() -> None:
    assert image_user(base_image()) == "10001"
    version = run_image(base_image(), entrypoint=["python3", "-c", "import sys; print(sys.version_info[:2])"])
    assert version.strip() == "(3, 11)"


def test_lightgbm_finds_the_openmp_runtime_and_the_shared_requirements_import() -> None:
    command = "import lightgbm, sklearn, duckdb, pyarrow, pandas, kfp, google.cloud.aiplatform; print('ready')"
    assert run_image(base_image(), entrypoint=["python3", "-c", command]).strip() == "ready"


def test_the_requirements_pex_is_not_left_in_the_image() -> None:
    # The PEX is installed in a throwaway build stage: only the venv reaches the final image.
    listing = run_image(base_image(), entrypoint=["sh", "-c", "ls /tmp; ls /opt/app"])
    assert "requirements.pex" not in listing
    assert "bin" in listing.split()


def test_base_image_stays_within_its_recorded_size() -> None:
    assert_within_recorded_size("base", base_image())


def test_the_unprivileged_user_cannot_change_the_installed_code() -> None:
    probe = "touch /opt/app/lib/python3.11/site-packages/probe 2>/dev/null && echo writable || echo read-only"
    assert run_image(base_image(), entrypoint=["sh", "-c", probe]).strip() == "read-only"
