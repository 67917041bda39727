"""The monitor image can run its KFP component, as a non-root user, within its size budget."""

from mlops.testing.docker_images import assert_within_recorded_size, built_image, image_user, run_image


def test_image_imports_the_component_and_kfp_executor_as_non_root() -> None:
    image = built_image("monitor")
    # The report template is a resource read at run time: it must be in the image, not only the code.
    command = (
        "import kfp.dsl.executor_main, monitor.component; from importlib import resources; "
        "print(resources.files('mlops.monitoring').joinpath('templates', 'monitoring_report.html.j2').is_file())"
    )
    assert run_image(image, entrypoint=["python3", "-c", command]).strip() == "True"
    assert image_user(image) != "0"


def test_image_stays_within_its_recorded_size() -> None:
    assert_within_recorded_size("monitor", built_image("monitor"))
