"""The notify image can run its KFP component, as a non-root user."""

from mlops.testing.docker_images import built_image, image_user, run_image


def test_image_imports_the_component_and_kfp_executor_as_non_root() -> None:
    image = built_image("notify")
    command = "import kfp.dsl.executor_main, notify.component; print('ready')"
    assert run_image(image, entrypoint=["python3", "-c", command]).strip() == "ready"
    assert image_user(image) != "0"


def test_image_stays_within_its_recorded_size() -> None:
    from mlops.testing import docker_images

    docker_images.assert_within_recorded_size("notify", docker_images.built_image("notify"))
